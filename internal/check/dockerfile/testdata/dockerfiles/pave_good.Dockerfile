# Written for pave's tests: no rule should fire.
# syntax=docker/dockerfile:1
FROM golang:1.23.4-bookworm@sha256:0000000000000000000000000000000000000000000000000000000000000000 AS build
WORKDIR /src
RUN --mount=type=cache,target=/var/lib/apt --mount=type=cache,target=/var/cache/apt \
    apt-get update && apt-get install -y --no-install-recommends ca-certificates=20230311
ENV PIP_NO_CACHE_DIR=1
COPY . .
RUN go build -o /out/app ./cmd/app

FROM build AS test
RUN go test ./...

FROM gcr.io/distroless/static-debian12:nonroot@sha256:1111111111111111111111111111111111111111111111111111111111111111
COPY --from=build /out/app /app
HEALTHCHECK --interval=30s CMD ["/app", "health"]
USER 65532:65532
ENTRYPOINT ["/app"]
