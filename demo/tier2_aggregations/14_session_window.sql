-- @app: session_window_demo
-- @description: Orders of a customer within 30 s of each other form one session.
CREATE STREAM customer_sessions AS
SELECT customer_id,
       COUNT(*) AS order_count,
       SUM(amount) AS session_amount,
       _window_start AS session_start,
       _window_end AS session_end
FROM orders
GROUP BY customer_id
WINDOW SESSION(30s)
EMIT FINAL
WITH ('orders.type' = 'kafka_source', 'orders.config_file' = '../configs/orders_source.yaml',
      'customer_sessions.type' = 'kafka_sink', 'customer_sessions.config_file' = '../configs/common_kafka_sink.yaml', 'customer_sessions.topic.name' = 'customer_sessions',
      'event.time.field' = 'event_time');
