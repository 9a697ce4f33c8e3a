-- PostgreSQL roles of one node (run once as a superuser; see docs/deploy.md).
-- The owner creates the schema (karakoram db upgrade, karakoram restore); the node logs in
-- as a role granted karakoram_app, which migration 0007 creates: it may INSERT and SELECT the
-- audit log but never UPDATE, DELETE or TRUNCATE it, so not even an operator who drops the
-- triggers can rewrite the history through the node's connection.
CREATE ROLE cn_urc_owner LOGIN PASSWORD 'choose-one';
CREATE DATABASE karakoram OWNER cn_urc_owner;
\connect karakoram
ALTER SCHEMA public OWNER TO cn_urc_owner;
-- then, as cn_urc_owner: KARAKORAM_DATABASE_URL=postgresql://cn_urc_owner@.../karakoram karakoram db upgrade
-- after which karakoram_app exists:
CREATE ROLE cn_urc_node LOGIN PASSWORD 'choose-another' IN ROLE karakoram_app;
-- the backup (pg_dump) may run as cn_urc_node: it only reads
