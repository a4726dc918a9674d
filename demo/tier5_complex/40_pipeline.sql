-- @app: pipeline_demo
-- @description: Three chained statements: filter, enrich, summarise.
CREATE STREAM paid_orders AS
SELECT order_id, customer_id, amount, quantity, status
FROM orders
WHERE status IN ('PAID', 'SHIPPED')
EMIT CHANGES
WITH ('orders.type' = 'kafka_source', 'orders.config_file' = '../configs/orders_source.yaml',
      'paid_orders.type' = 'kafka_sink', 'paid_orders.config_file' = '../configs/common_kafka_sink.yaml', 'paid_orders.topic.name' = 'paid_orders');

CREATE STREAM priced_orders AS
SELECT order_id,
       customer_id,
       amount,
       ROUND(amount / NULLIF(quantity, 0), 2) AS unit_amount,
       CASE WHEN amount >= 250 THEN 'LARGE' ELSE 'SMALL' END AS size_class
FROM paid_orders
EMIT CHANGES
WITH ('priced_orders.type' = 'kafka_sink', 'priced_orders.config_file' = '../configs/common_kafka_sink.yaml', 'priced_orders.topic.name' = 'priced_orders');

CREATE STREAM large_orders AS
SELECT order_id, customer_id, amount
FROM priced_orders
WHERE size_class = 'LARGE'
EMIT CHANGES
WITH ('large_orders.type' = 'kafka_sink', 'large_orders.config_file' = '../configs/common_kafka_sink.yaml', 'large_orders.topic.name' = 'large_orders');
