-- The invoice service's own objects, applied after streamOS's baseline. The indexes on streamOS's
-- tables (marked `// service:` in schema.prisma) use IF NOT EXISTS so that a database whose owner
-- created them beforehand (for instance CONCURRENTLY, on large tables) is left as it is.

-- CreateEnum
CREATE TYPE "invoice_request_status" AS ENUM ('PENDING', 'COMPLETED', 'FAILED');

-- CreateTable
CREATE TABLE "invoice_request" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "charge_id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,
    "active_charge_id" UUID,
    "active_document_number" TEXT,
    "status" "invoice_request_status" NOT NULL DEFAULT 'PENDING',
    "send_email" BOOLEAN NOT NULL DEFAULT false,
    "client_idempotency_key" TEXT,
    "request_fingerprint" TEXT,
    "rutter_idempotency_key" TEXT NOT NULL,
    "rutter_version" TEXT NOT NULL,
    "rutter_request_body" JSONB,
    "rutter_job_id" TEXT,
    "rutter_invoice_id" TEXT,
    "acc_uac_invoice_id" UUID,
    "response_status" INTEGER,
    "response_body" JSONB,
    "error_code" TEXT,
    "error_detail" JSONB,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "lease_owner" TEXT,
    "lease_expires_at" TIMESTAMPTZ(6),
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(6),

    CONSTRAINT "invoice_request_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "invoice_request_active_charge_id_key" ON "invoice_request"("active_charge_id");

-- CreateIndex
CREATE UNIQUE INDEX "invoice_request_client_idempotency_key_key" ON "invoice_request"("client_idempotency_key");

-- CreateIndex
CREATE UNIQUE INDEX "invoice_request_rutter_idempotency_key_key" ON "invoice_request"("rutter_idempotency_key");

-- CreateIndex
CREATE INDEX "invoice_request_charge_id_idx" ON "invoice_request"("charge_id");

-- CreateIndex
CREATE INDEX "invoice_request_status_updated_at_idx" ON "invoice_request"("status", "updated_at");

-- CreateIndex
CREATE UNIQUE INDEX "invoice_request_organization_id_active_document_number_key" ON "invoice_request"("organization_id", "active_document_number");

-- CreateIndex
CREATE INDEX IF NOT EXISTS "acc_uac_invoice_organization_id_document_number_idx" ON "acc_uac_invoice"("organization_id", "document_number");

-- CreateIndex
CREATE INDEX IF NOT EXISTS "invoice_adjustment_line_item_invoice_line_item_id_idx" ON "invoice_adjustment_line_item"("invoice_line_item_id");

-- CreateIndex
CREATE INDEX IF NOT EXISTS "uac_line_item_uac_invoice_id_idx" ON "uac_line_item"("uac_invoice_id");

-- CreateIndex
CREATE INDEX IF NOT EXISTS "uac_line_item_acc_uac_invoice_id_idx" ON "uac_line_item"("acc_uac_invoice_id");

-- AddForeignKey
ALTER TABLE "invoice_request" ADD CONSTRAINT "invoice_request_charge_id_fkey" FOREIGN KEY ("charge_id") REFERENCES "uac_invoice"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoice_request" ADD CONSTRAINT "invoice_request_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoice_request" ADD CONSTRAINT "invoice_request_acc_uac_invoice_id_fkey" FOREIGN KEY ("acc_uac_invoice_id") REFERENCES "acc_uac_invoice"("id") ON DELETE SET NULL ON UPDATE CASCADE;

