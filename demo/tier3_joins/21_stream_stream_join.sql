-- @app: stream_stream_join_demo
-- @description: Each shipment joined with its order (two Kafka streams, 1 h retention).
CREATE STREAM shipped_orders AS
SELECT s.shipment_id,
       o.order_id,
       o.amount,
       s.carrier
FROM orders o
JOIN shipments s ON o.order_id = s.order_id
EMIT CHANGES
WITH ('orders.type' = 'kafka_source', 'orders.config_file' = '../configs/orders_source.yaml',
      'shipments.type' = 'kafka_source', 'shipments.config_file' = '../configs/shipments_source.yaml',
      'shipped_orders.type' = 'kafka_sink', 'shipped_orders.config_file' = '../configs/common_kafka_sink.yaml', 'shipped_orders.topic.name' = 'shipped_orders',
      'join.retention' = '1h',
      'event.time.field' = 'event_time');
