-- @app: wrong_join_key
-- @description: Orders enriched with customer names - joined on the wrong column.
CREATE STREAM enriched AS
SELECT o.order_id, o.customer_id, c.customer_name
FROM orders o
JOIN customers c ON o.customer_id = c.customer_name
EMIT CHANGES
WITH ('orders.type' = 'kafka_source', 'orders.topic.name' = 'orders',
      'customers.type' = 'file_source', 'customers.config_file' = 'customers_table.yaml');
