-- @app: sliding_window_demo
-- @description: Two-minute windows sliding every minute: every trade counts in two windows.
CREATE STREAM sliding_output AS
SELECT symbol,
       COUNT(*) AS trade_count,
       AVG(price) AS avg_price,
       _window_start AS window_start,
       _window_end AS window_end
FROM market_data
GROUP BY symbol
WINDOW SLIDING(2m, 1m)
WITH ('market_data.type' = 'kafka_source', 'market_data.config_file' = '../configs/market_data_source.yaml',
      'sliding_output.type' = 'kafka_sink', 'sliding_output.config_file' = '../configs/common_kafka_sink.yaml', 'sliding_output.topic.name' = 'sliding_output',
      'event.time.field' = 'event_time');
