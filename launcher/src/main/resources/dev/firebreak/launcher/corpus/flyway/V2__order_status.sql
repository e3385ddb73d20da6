ALTER TABLE orders ADD COLUMN status text NOT NULL DEFAULT 'open';
CREATE INDEX orders_customer_idx ON orders (customer_id);
