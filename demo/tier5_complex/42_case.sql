-- @app: case_demo
-- @description: Orders classified with CASE expressions (searched CASE: the form Velostream accepts).
CREATE STREAM classified_orders AS
SELECT order_id,
       amount,
       status,
       CASE WHEN amount > 500 THEN 'HIGH'
            WHEN amount > 100 THEN 'MEDIUM'
            ELSE 'LOW' END AS amount_tier,
       CASE WHEN status = 'NEW' THEN 1 WHEN status = 'PAID' THEN 2 WHEN status = 'SHIPPED' THEN 3 ELSE 0 END AS status_code
FROM orders
EMIT CHANGES
WITH ('orders.type' = 'kafka_source', 'orders.config_file' = '../configs/orders_source.yaml',
      'classified_orders.type' = 'kafka_sink', 'classified_orders.config_file' = '../configs/common_kafka_sink.yaml', 'classified_orders.topic.name' = 'classified_orders');
