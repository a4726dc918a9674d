-- @app: multi_join_demo
-- @description: Orders joined with customers and products; line value computed from the product price.
CREATE STREAM order_lines AS
SELECT o.order_id,
       c.customer_name,
       c.region AS customer_region,
       p.product_name,
       p.category,
       o.quantity * p.unit_price AS line_value
FROM orders o
JOIN customers c ON o.customer_id = c.customer_id
JOIN products p ON o.product_id = p.product_id
EMIT CHANGES
WITH ('orders.type' = 'kafka_source', 'orders.config_file' = '../configs/orders_source.yaml',
      'customers.type' = 'file_source', 'customers.config_file' = '../configs/customers_table.yaml',
      'products.type' = 'file_source', 'products.config_file' = '../configs/products_table.yaml',
      'order_lines.type' = 'kafka_sink', 'order_lines.config_file' = '../configs/common_kafka_sink.yaml', 'order_lines.topic.name' = 'order_lines');
