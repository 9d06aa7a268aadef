CREATE TABLE customers (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    country CHAR(2) NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT now()
);

CREATE TABLE orders (
    id BIGINT PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers(id),
    total_cents BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('new', 'paid', 'shipped')),
    created_at TIMESTAMP NOT NULL DEFAULT now()
);

CREATE INDEX orders_customer ON orders(customer_id);

SELECT c.country,
       count(*) AS orders,
       sum(o.total_cents) / 100.0 AS revenue
FROM orders o
JOIN customers c ON c.id = o.customer_id
WHERE o.status = 'paid'
  AND o.created_at >= date_trunc('month', now())
GROUP BY c.country
ORDER BY revenue DESC;

UPDATE orders SET status = 'shipped'
WHERE status = 'paid' AND created_at < now() - interval '2 days';
