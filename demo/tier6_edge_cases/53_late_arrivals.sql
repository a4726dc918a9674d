-- @app: late_arrivals_demo
-- @description: Out-of-order trades, a 5 s watermark, and late records routed to the dead-letter list.
CREATE STREAM late_tolerant_counts AS
SELECT symbol,
       COUNT(*) AS trade_count,
       _window_start AS window_start,
       _window_end AS window_end
FROM market_data
GROUP BY symbol
WINDOW TUMBLING(1m)
EMIT FINAL
WITH ('market_data.type' = 'kafka_source', 'market_data.config_file' = '../configs/market_data_source.yaml',
      'late_tolerant_counts.type' = 'kafka_sink', 'late_tolerant_counts.config_file' = '../configs/common_kafka_sink.yaml', 'late_tolerant_counts.topic.name' = 'late_tolerant_counts',
      'event.time.field' = 'event_time',
      'watermark.strategy' = 'bounded_out_of_orderness',
      'watermark.max_out_of_orderness' = '5s',
      'late.data.strategy' = 'dead_letter',
      'dlq.topic' = 'late_trades');
