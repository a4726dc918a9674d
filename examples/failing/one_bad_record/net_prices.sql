-- @app: one_bad_record
-- @description: Net price of each order after its discount; one order among 400 carries a discount of 150 %.
CREATE STREAM net_prices AS
SELECT order_id, customer_id, price, discount_pct,
       price * (100 - discount_pct) / 100 AS net_price
FROM orders
EMIT CHANGES
WITH ('orders.type' = 'kafka_source', 'orders.topic.name' = 'orders');
