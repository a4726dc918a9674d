-- @app: rows_buffer_demo
-- @description: Moving average over the last 5 trades of each symbol.
CREATE STREAM moving_average AS
SELECT symbol,
       price,
       AVG(price) OVER (ROWS WINDOW BUFFER 5 ROWS PARTITION BY symbol ORDER BY event_time) AS moving_avg,
       COUNT(*) OVER (ROWS WINDOW BUFFER 5 ROWS PARTITION BY symbol ORDER BY event_time) AS buffered,
       MIN(price) OVER (ROWS WINDOW BUFFER 5 ROWS PARTITION BY symbol ORDER BY event_time) AS buffer_min
FROM market_data
EMIT CHANGES
WITH ('market_data.type' = 'kafka_source', 'market_data.config_file' = '../configs/market_data_source.yaml',
      'moving_average.type' = 'kafka_sink', 'moving_average.config_file' = '../configs/common_kafka_sink.yaml', 'moving_average.topic.name' = 'moving_average',
      'event.time.field' = 'event_time');
