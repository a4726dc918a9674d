-- @app: subqueries_demo
-- @description: Orders of GOLD customers (IN subquery) for electronics products (EXISTS).
CREATE STREAM gold_orders AS
SELECT order_id, customer_id, product_id, amount
FROM orders o
WHERE customer_id IN (SELECT customer_id FROM customers WHERE tier = 'GOLD')
EMIT CHANGES
WITH ('orders.type' = 'kafka_source', 'orders.config_file' = '../configs/orders_source.yaml',
      'customers.type' = 'file_source', 'customers.config_file' = '../configs/customers_table.yaml',
      'gold_orders.type' = 'kafka_sink', 'gold_orders.config_file' = '../configs/common_kafka_sink.yaml', 'gold_orders.topic.name' = 'gold_orders');

CREATE STREAM electronics_orders AS
SELECT order_id, product_id, amount
FROM orders o
WHERE EXISTS (SELECT 1 FROM products p WHERE p.product_id = o.product_id AND p.category = 'electronics')
EMIT CHANGES
WITH ('orders.type' = 'kafka_source', 'orders.config_file' = '../configs/orders_source.yaml',
      'products.type' = 'file_source', 'products.config_file' = '../configs/products_table.yaml',
      'electronics_orders.type' = 'kafka_sink', 'electronics_orders.config_file' = '../configs/common_kafka_sink.yaml', 'electronics_orders.topic.name' = 'electronics_orders');
