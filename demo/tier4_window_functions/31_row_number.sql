-- @app: row_number_demo
-- @description: Trade sequence numbers and price ranks per symbol.
CREATE STREAM ranked_trades AS
SELECT symbol,
       price,
       event_time,
       ROW_NUMBER() OVER (PARTITION BY symbol ORDER BY event_time) AS trade_seq,
       RANK() OVER (PARTITION BY symbol ORDER BY price) AS price_rank,
       DENSE_RANK() OVER (PARTITION BY symbol ORDER BY price) AS price_dense_rank
FROM market_data
EMIT CHANGES
WITH ('market_data.type' = 'kafka_source', 'market_data.config_file' = '../configs/market_data_source.yaml',
      'ranked_trades.type' = 'kafka_sink', 'ranked_trades.config_file' = '../configs/common_kafka_sink.yaml', 'ranked_trades.topic.name' = 'ranked_trades',
      'event.time.field' = 'event_time');
