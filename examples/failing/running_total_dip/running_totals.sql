-- @app: running_total_dip
-- @description: Each customer's running total of payments; a refund booked as a payment makes one dip.
CREATE STREAM running_totals AS
SELECT customer_id, payment_id, amount,
       SUM(amount) OVER (PARTITION BY customer_id ORDER BY paid_at) AS running_total
FROM payments
EMIT CHANGES
WITH ('payments.type' = 'kafka_source', 'payments.topic.name' = 'payments', 'event.time.field' = 'paid_at');
