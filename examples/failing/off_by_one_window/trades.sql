-- @app: off_by_one_window
-- @description: Trades per one-minute tumbling window.
CREATE STREAM trades_per_minute AS
SELECT symbol, COUNT(*) AS trades, _window_start AS window_start
FROM trades
GROUP BY symbol
WINDOW TUMBLING(1m)
EMIT FINAL
WITH ('trades.type' = 'kafka_source', 'trades.topic.name' = 'trades', 'event.time.field' = 'ts');
