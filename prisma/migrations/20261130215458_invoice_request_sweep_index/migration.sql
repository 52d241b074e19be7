-- DropIndex
DROP INDEX "invoice_request_status_updated_at_idx";

-- CreateIndex
CREATE INDEX "invoice_request_status_created_at_idx" ON "invoice_request"("status", "created_at");
