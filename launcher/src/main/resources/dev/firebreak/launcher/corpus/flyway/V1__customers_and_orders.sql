-- A small shop schema, the way a service's first migration creates it.
CREATE TABLE customers (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE, created_at timestamptz DEFAULT now());
CREATE TABLE orders (id bigserial PRIMARY KEY, customer_id bigint REFERENCES customers, total numeric(10, 2));
CREATE TABLE order_lines (order_id bigint REFERENCES orders, sku text, qty int);
CREATE TABLE legacy_carts (id bigserial PRIMARY KEY, payload text);
CREATE TABLE legacy_cart_items (cart_id bigint, sku text);
CREATE TABLE legacy_sessions (id text PRIMARY KEY, data text);
INSERT INTO customers (email) SELECT 'c' || g || '@example.com' FROM generate_series(1, 500) g;
INSERT INTO orders (customer_id, total) SELECT 1 + g % 500, g FROM generate_series(1, 2000) g;
INSERT INTO legacy_carts (payload) SELECT md5(g::text) FROM generate_series(1, 300) g;
