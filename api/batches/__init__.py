"""Batches: many charges invoiced by durable queued jobs, each one through POST /invoices's code."""
