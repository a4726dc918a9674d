-- @app: tumbling_window_demo
-- @description: Trades per symbol in one-minute tumbling windows (EMIT FINAL).
-- @metric: last_trade_count
-- @metric_type: gauge
-- @metric_field: trade_count
CREATE TABLE tumbling_output AS
SELECT symbol PRIMARY KEY,
       COUNT(*) AS trade_count,
       SUM(volume) AS total_volume,
       _window_start AS window_start,
       _window_end AS window_end
FROM market_data
GROUP BY symbol
WINDOW TUMBLING(1m)
EMIT FINAL
WITH ('market_data.type' = 'kafka_source', 'market_data.config_file' = '../configs/market_data_source.yaml',
      'tumbling_output.type' = 'kafka_sink', 'tumbling_output.config_file' = '../configs/common_kafka_sink.yaml', 'tumbling_output.topic.name' = 'tumbling_output',
      'event.time.field' = 'event_time');
