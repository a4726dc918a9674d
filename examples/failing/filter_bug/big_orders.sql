-- @app: filter_bug
-- @description: Orders of 100 or more - but the filter says > 100.
CREATE STREAM big_orders AS
SELECT order_id, amount
FROM orders
WHERE amount > 100
EMIT CHANGES
WITH ('orders.type' = 'kafka_source', 'orders.topic.name' = 'orders');
