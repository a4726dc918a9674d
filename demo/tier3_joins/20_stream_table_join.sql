-- @app: stream_table_join_demo
-- @description: Orders enriched with the customer table (a CSV file), LEFT JOIN.
CREATE STREAM enriched_orders AS
SELECT o.order_id,
       o.customer_id,
       o.amount,
       c.customer_name,
       c.tier
FROM orders o
LEFT JOIN customers c ON o.customer_id = c.customer_id
EMIT CHANGES
WITH ('orders.type' = 'kafka_source', 'orders.config_file' = '../configs/orders_source.yaml',
      'customers.type' = 'file_source', 'customers.config_file' = '../configs/customers_table.yaml',
      'enriched_orders.type' = 'kafka_sink', 'enriched_orders.config_file' = '../configs/common_kafka_sink.yaml', 'enriched_orders.topic.name' = 'enriched_orders');
