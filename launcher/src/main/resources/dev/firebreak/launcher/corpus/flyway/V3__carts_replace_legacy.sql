-- The new carts table replaces three legacy tables: copy what is kept, drop the rest.
CREATE TABLE carts (id bigint PRIMARY KEY, payload jsonb);
INSERT INTO carts SELECT id, jsonb_build_object('raw', payload) FROM legacy_carts;
DROP TABLE legacy_cart_items;
DROP TABLE legacy_carts;
DROP TABLE legacy_sessions;
