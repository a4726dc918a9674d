-- @app: running_agg_demo
-- @description: Running volume and average price per symbol.
CREATE STREAM running_totals AS
SELECT symbol,
       volume,
       SUM(volume) OVER (PARTITION BY symbol ORDER BY event_time) AS running_volume,
       AVG(price) OVER (PARTITION BY symbol ORDER BY event_time) AS running_avg_price,
       COUNT(*) OVER (PARTITION BY symbol ORDER BY event_time) AS running_count
FROM market_data
EMIT CHANGES
WITH ('market_data.type' = 'kafka_source', 'market_data.config_file' = '../configs/market_data_source.yaml',
      'running_totals.type' = 'kafka_sink', 'running_totals.config_file' = '../configs/common_kafka_sink.yaml', 'running_totals.topic.name' = 'running_totals',
      'event.time.field' = 'event_time');
