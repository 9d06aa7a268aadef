# Written for pave's tests: one instance of each rule, in real Dockerfile syntax.
ARG BASE=ubuntu
ARG BASE_TAG=22.04
FROM golang AS build
MAINTAINER someone@example.com
ARG GITHUB_TOKEN=ghp_aaaaBBBBccccDDDDeeeeFFFFgggg0000hhhh
ARG TOKEN_URL=https://example.com/token
ENV DB_PASSWORD="s3cr3t-Pa55" PASSWORD_FILE=/run/secrets/db
ENV API_KEY ${API_KEY_FROM_ARG}
RUN apt-get update
RUN apt-get update && apt-get install -y curl git=1:2.39.5-0+deb12u1
RUN apt-get upgrade -y
RUN curl -fsSL https://example.com/install.sh | sh
RUN wget -O- https://example.com/x.sh \
      | sudo bash -s -- --yes
RUN bash <(curl -s https://example.com/y.sh)
ADD https://example.com/tool.tar.gz /opt/
ADD app.tar.gz /opt/app/
ADD config.yaml /etc/app/
RUN <<EOT
apk add curl
pip install --user requests flask==3.0.0 -r requirements.txt
chmod 777 /data && chmod -R a+rwx /srv
EOT

FROM ${BASE}:${BASE_TAG}
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*
COPY --from=build /go/bin/app /app
EXPOSE 8080 22/tcp
USER root
CMD ["/app"]
