-- CreateEnum
CREATE TYPE "invoice_batch_status" AS ENUM ('QUEUED', 'RUNNING', 'COMPLETED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "invoice_batch_item_status" AS ENUM ('QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'SKIPPED');

-- CreateTable
CREATE TABLE "invoice_batch" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "scope_organization_id" UUID,
    "organization_id" UUID,
    "issue_date_from" DATE,
    "issue_date_to" DATE,
    "send_email" BOOLEAN,
    "status" "invoice_batch_status" NOT NULL DEFAULT 'QUEUED',
    "total" INTEGER NOT NULL,
    "remaining" INTEGER NOT NULL,
    "client_idempotency_key" TEXT,
    "request_fingerprint" TEXT,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(6),
    "finished_at" TIMESTAMPTZ(6),
    "cancelled_at" TIMESTAMPTZ(6),

    CONSTRAINT "invoice_batch_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "invoice_batch_item" (
    "batch_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "charge_id" UUID NOT NULL,
    "status" "invoice_batch_item_status" NOT NULL DEFAULT 'QUEUED',
    "http_status" INTEGER,
    "outcome" JSONB,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "started_at" TIMESTAMPTZ(6),
    "finished_at" TIMESTAMPTZ(6),

    CONSTRAINT "invoice_batch_item_pkey" PRIMARY KEY ("batch_id","position")
);

-- CreateIndex
CREATE UNIQUE INDEX "invoice_batch_client_idempotency_key_key" ON "invoice_batch"("client_idempotency_key");

-- CreateIndex
CREATE INDEX "invoice_batch_item_batch_id_status_idx" ON "invoice_batch_item"("batch_id", "status");

-- AddForeignKey
ALTER TABLE "invoice_batch_item" ADD CONSTRAINT "invoice_batch_item_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "invoice_batch"("id") ON DELETE CASCADE ON UPDATE CASCADE;
