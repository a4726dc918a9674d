-- @app: sum_avg_demo
-- @description: Running SUM/AVG/MIN/MAX per symbol as a table keyed by symbol.
CREATE TABLE symbol_stats AS
SELECT symbol PRIMARY KEY,
       SUM(volume) AS total_volume,
       AVG(price) AS avg_price,
       MIN(price) AS min_price,
       MAX(price) AS max_price,
       COUNT(*) AS trades
FROM market_data
GROUP BY symbol
EMIT CHANGES
WITH ('market_data.type' = 'kafka_source', 'market_data.config_file' = '../configs/market_data_source.yaml',
      'symbol_stats.type' = 'kafka_sink', 'symbol_stats.config_file' = '../configs/common_kafka_sink.yaml', 'symbol_stats.topic.name' = 'symbol_stats');
