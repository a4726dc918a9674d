-- @app: count_demo
-- @description: COUNT(*) per category; EMIT CHANGES emits the updated count for every input.
CREATE STREAM category_counts AS
SELECT category, COUNT(*) AS record_count
FROM simple_records
GROUP BY category
EMIT CHANGES
WITH ('simple_records.type' = 'kafka_source', 'simple_records.config_file' = '../configs/simple_records_source.yaml',
      'category_counts.type' = 'kafka_sink', 'category_counts.config_file' = '../configs/common_kafka_sink.yaml', 'category_counts.topic.name' = 'category_counts');
