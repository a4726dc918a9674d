-- @app: complex_filter_demo
-- @description: AND, OR, BETWEEN, IN and NOT in one WHERE clause.
CREATE STREAM selected_orders AS
SELECT order_id, amount, status, region, quantity
FROM orders
WHERE (status IN ('PAID', 'SHIPPED') AND amount BETWEEN 100 AND 500)
   OR (region = 'EU' AND NOT (quantity > 3))
EMIT CHANGES
WITH ('orders.type' = 'kafka_source', 'orders.config_file' = '../configs/orders_source.yaml',
      'selected_orders.type' = 'kafka_sink', 'selected_orders.config_file' = '../configs/common_kafka_sink.yaml', 'selected_orders.topic.name' = 'selected_orders');
