-- @app: lag_lead_demo
-- @description: Previous and next price of the same symbol.
CREATE STREAM price_moves AS
SELECT symbol,
       price,
       event_time,
       LAG(price, 1) OVER (PARTITION BY symbol ORDER BY event_time) AS prev_price,
       LEAD(price, 1) OVER (PARTITION BY symbol ORDER BY event_time) AS next_price
FROM market_data
EMIT CHANGES
WITH ('market_data.type' = 'kafka_source', 'market_data.config_file' = '../configs/market_data_source.yaml',
      'price_moves.type' = 'kafka_sink', 'price_moves.config_file' = '../configs/common_kafka_sink.yaml', 'price_moves.topic.name' = 'price_moves',
      'event.time.field' = 'event_time');
