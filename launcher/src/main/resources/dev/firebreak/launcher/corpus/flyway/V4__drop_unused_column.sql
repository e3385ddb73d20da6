ALTER TABLE order_lines ADD COLUMN price numeric(10, 2);
ALTER TABLE customers DROP COLUMN created_at;
