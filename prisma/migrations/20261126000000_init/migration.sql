-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "invoice_request_status" AS ENUM ('PENDING', 'COMPLETED', 'FAILED');

-- CreateEnum
CREATE TYPE "ReconciliationStatus" AS ENUM ('MATCHED', 'UNMATCHED', 'REQUIRES_CONFIRMATION');

-- CreateEnum
CREATE TYPE "uac_customer_status" AS ENUM ('ACTIVE', 'INACTIVE', 'UNKNOWN');

-- CreateEnum
CREATE TYPE "currency" AS ENUM ('USD', 'CAD', 'EUR', 'GBP');

-- CreateEnum
CREATE TYPE "uac_address_type" AS ENUM ('billing', 'shipping', 'po_box', 'unknown');

-- CreateEnum
CREATE TYPE "uac_item_status" AS ENUM ('active', 'archived', 'unknown');

-- CreateEnum
CREATE TYPE "uac_item_type" AS ENUM ('inventory', 'non_inventory', 'service', 'discount', 'unknown');

-- CreateEnum
CREATE TYPE "uac_bill_status" AS ENUM ('open', 'partially_paid', 'paid', 'void', 'draft', 'unknown', 'submitted');

-- CreateEnum
CREATE TYPE "InvoiceAdjustmentLineItemAction" AS ENUM ('add', 'delete', 'modify');

-- CreateEnum
CREATE TYPE "AdjustmentReason" AS ENUM ('INACCURATE_EXPERT_RATE', 'EXPERT_NOT_HELPFUL_FC', 'EXPERT_NOT_HELPFUL_PC', 'CALL_CANCELED_INITIATED', 'INTERNAL_PROJECT_SPECIAL_PROMO', 'TECHNICAL_ISSUE_QUALITY', 'TEGUS_EMPLOYEE_ERROR', 'MULITPLE_RESCHEDULES_BY_EXPERT', 'PREARRANGED_30_MIN_CALL', 'EXPERT_1_HOUR_MINIMUM', 'MISREPRESENTED_EXPERT', 'TRIAL_PERIOD_CALL', 'ROUND_TO_15_MIN', 'ROUND_TO_30_MIN', 'ROUND_TO_45_MIN', 'ROUND_TO_60_MIN', 'ROUND_TO_75_MIN', 'ROUND_TO_90_MIN', 'OTHER');

-- CreateEnum
CREATE TYPE "us_state" AS ENUM ('AL', 'AK', 'AS', 'AZ', 'AR', 'CA', 'CO', 'CT', 'DE', 'DC', 'FM', 'FL', 'GA', 'GU', 'HI', 'ID', 'IL', 'IN', 'IA', 'KS', 'KY', 'LA', 'ME', 'MH', 'MD', 'MA', 'MI', 'MN', 'MS', 'MO', 'MT', 'NE', 'NV', 'NH', 'NJ', 'NM', 'NY', 'NC', 'ND', 'MP', 'OH', 'OK', 'OR', 'PW', 'PA', 'PR', 'RI', 'SC', 'SD', 'TN', 'TX', 'UT', 'VT', 'VI', 'VA', 'WA', 'WV', 'WI', 'WY');

-- CreateTable
CREATE TABLE "organization" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "business_email" TEXT,
    "business_name" TEXT,
    "business_phone" TEXT,
    "business_website" TEXT,
    "business_ein" TEXT,
    "business_address_1" TEXT,
    "business_address_2" TEXT,
    "business_zip_code" TEXT,
    "business_city" TEXT,
    "business_state" "us_state",
    "is_business_email_verified" BOOLEAN,
    "is_business_phone_verified" BOOLEAN,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "realm_id" TEXT,
    "driver_id" TEXT,
    "access_token" TEXT,
    "incoming_webhook_url" TEXT,
    "uac_realm_id" TEXT,
    "uac_connection_id" TEXT,
    "uac_access_token" TEXT,
    "slack_team_id" TEXT,
    "slack_incomingwebhook_url" TEXT,
    "slack_app_token" TEXT,
    "slack_bot_token" TEXT,
    "gmail_client_secret" JSONB,
    "gmail_token" JSONB,
    "uac_platform" TEXT,
    "uac_refresh_token" TEXT,
    "uac_business_id" TEXT,
    "uac_user_id" TEXT,
    "uac_token_expires_in" INTEGER,
    "agent_status" BOOLEAN DEFAULT false,
    "uac_email_external_send_enabled" BOOLEAN DEFAULT false,
    "invoice_create_override" BOOLEAN DEFAULT false,

    CONSTRAINT "organization_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "uac_invoice" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "provider_entity_id" TEXT,
    "platform_id" TEXT,
    "account_id" TEXT,
    "customer_id" TEXT,
    "stream_customer_id" UUID,
    "subsidiary_id" TEXT,
    "issue_date" TIMESTAMP(3),
    "due_date" TIMESTAMP(3),
    "period_start_date" TIMESTAMP(3),
    "period_end_date" TIMESTAMP(3),
    "payment_terms" INTEGER,
    "contract_id" TEXT,
    "memo" TEXT,
    "document_number" TEXT,
    "currency_code" TEXT,
    "amount_due" DECIMAL(10,2),
    "total_amount" DECIMAL(10,2),
    "sub_total" DECIMAL(10,2),
    "tax_amount" DECIMAL(10,2),
    "total_discount" DECIMAL(10,2),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "synced" BOOLEAN NOT NULL DEFAULT false,
    "pricer_invoice_id" UUID,
    "term" TEXT DEFAULT '30',
    "platform_url" TEXT,
    "is_vendor" BOOLEAN DEFAULT false,

    CONSTRAINT "uac_invoice_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "uac_line_item" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "uac_bill_id" UUID,
    "uac_bill_payments_id" UUID,
    "uac_purchase_order_id" UUID,
    "uac_invoice_id" UUID,
    "provider_entity_id" TEXT,
    "description" TEXT,
    "account_id" TEXT,
    "platform_id" TEXT,
    "class_id" TEXT,
    "customer_id" TEXT,
    "department_id" TEXT,
    "item_id" TEXT,
    "location_id" TEXT,
    "tax_rate_id" TEXT,
    "amount" DOUBLE PRECISION,
    "discount_percentage" DOUBLE PRECISION,
    "discount_amount" DOUBLE PRECISION,
    "quantity" DOUBLE PRECISION,
    "sub_total" DOUBLE PRECISION,
    "allocated_amount" DECIMAL(65,30),
    "allocated_at" TEXT,
    "tax_amount" DOUBLE PRECISION,
    "unit_amount" DOUBLE PRECISION,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "total_amount" DECIMAL(10,2),
    "product_id" UUID,
    "pricer_index" INTEGER,
    "contract_id" UUID,
    "acc_uac_invoice_id" UUID,
    "suppress_line_item" BOOLEAN DEFAULT false,
    "sort_order" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "uac_line_item_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "customer" (
    "customer_id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "customer_name" TEXT,
    "customer_email" TEXT,
    "additional_fields" JSONB,
    "objType" TEXT NOT NULL DEFAULT 'customer',
    "organization_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) DEFAULT CURRENT_TIMESTAMP,
    "uac_customer_id" UUID,
    "reconciliation_status" "ReconciliationStatus" DEFAULT 'UNMATCHED',
    "is_vendor" BOOLEAN DEFAULT false,
    "uac_vendor_id" UUID,

    CONSTRAINT "customer_pkey" PRIMARY KEY ("customer_id")
);

-- CreateTable
CREATE TABLE "uac_customer" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "provider_entity_id" TEXT,
    "platform_id" TEXT,
    "status" "uac_customer_status" NOT NULL,
    "contact_name" TEXT,
    "currency_code" "currency",
    "customer_name" TEXT,
    "email" TEXT,
    "phone" TEXT,
    "registration_number" TEXT,
    "tax_number" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "objType" TEXT NOT NULL DEFAULT 'uac_customer',
    "subsidiary_id" UUID,
    "source_type" TEXT NOT NULL DEFAULT 'ACCOUNTING',

    CONSTRAINT "uac_customer_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "uac_address" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "uac_customer_id" UUID,
    "uac_vendor_id" UUID,
    "organization_id" UUID,
    "type" "uac_address_type" NOT NULL,
    "address1" TEXT,
    "address2" TEXT,
    "city" TEXT,
    "country" TEXT,
    "postal_code" TEXT,
    "region" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "uac_address_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "product" (
    "product_id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "product_name" TEXT,
    "description" TEXT,
    "organization_id" UUID NOT NULL,
    "unit_price" DOUBLE PRECISION,
    "is_addon" BOOLEAN DEFAULT false,
    "additional_fields" JSONB,
    "created_at" TIMESTAMPTZ(3) DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3),
    "reason" TEXT,
    "uac_item_id" UUID,
    "reconciliation_status" "ReconciliationStatus" DEFAULT 'UNMATCHED',
    "true_product" BOOLEAN DEFAULT true,
    "is_vendor" BOOLEAN DEFAULT false,

    CONSTRAINT "product_pkey" PRIMARY KEY ("product_id")
);

-- CreateTable
CREATE TABLE "uac_item" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "provider_entity_id" TEXT,
    "organization_id" UUID NOT NULL,
    "platform_id" TEXT,
    "bill_item_id" UUID,
    "invoice_item_id" UUID,
    "status" "uac_item_status" NOT NULL,
    "type" "uac_item_type" NOT NULL,
    "code" TEXT,
    "name" TEXT,
    "quantity_on_hand" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "uac_item_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "acc_uac_invoice" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "provider_entity_id" TEXT,
    "platform_id" TEXT,
    "account_id" TEXT,
    "customer_id" UUID,
    "stream_customer_id" UUID,
    "subsidiary_id" TEXT,
    "issue_date" TIMESTAMPTZ(6),
    "due_date" TIMESTAMPTZ(6),
    "status" "uac_bill_status",
    "memo" TEXT,
    "document_number" TEXT,
    "currency_code" TEXT,
    "amount_due" DECIMAL(10,2),
    "total_amount" DECIMAL(10,2),
    "sub_total" DECIMAL(10,2),
    "tax_amount" DECIMAL(10,2),
    "total_discount" DECIMAL(10,2),
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "synced" BOOLEAN DEFAULT false,
    "pricer_invoice_id" UUID,
    "term" TEXT DEFAULT '30',
    "platform_url" TEXT,
    "is_vendor" BOOLEAN DEFAULT false,
    "po_number" TEXT,
    "pdf_link" TEXT,
    "payment_link" TEXT,
    "email_status" TEXT,
    "source_type" TEXT DEFAULT 'ACCOUNTING',

    CONSTRAINT "acc_uac_invoice_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "invoice_adjustment" (
    "invoice_adjustment_id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "invoice_id" UUID NOT NULL,
    "adjusted_by" TEXT NOT NULL,
    "adjustment_date" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "customer_id" UUID,
    "customer_name" TEXT,
    "total_amount" DOUBLE PRECISION,
    "invoice_date" TIMESTAMP(3),
    "approved_by" TEXT,
    "original_value" TEXT,
    "created_at" TIMESTAMPTZ(3) DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3),
    "adjustment_reason" "AdjustmentReason" NOT NULL,
    "stream_customer_id" UUID,
    "reason" TEXT,

    CONSTRAINT "invoice_adjustment_pkey" PRIMARY KEY ("invoice_adjustment_id")
);

-- CreateTable
CREATE TABLE "invoice_adjustment_line_item" (
    "invoice_adjustment_line_item_id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID,
    "customer_sf_id" TEXT,
    "action" "InvoiceAdjustmentLineItemAction" NOT NULL,
    "invoice_line_item_id" UUID,
    "invoice_adjustment_id" UUID,
    "item_id" UUID,
    "description" TEXT,
    "quantity" DOUBLE PRECISION,
    "unit_price" DOUBLE PRECISION,
    "prev_quantity" DOUBLE PRECISION,
    "prev_unit_price" DOUBLE PRECISION,
    "prev_total_amount" DOUBLE PRECISION,
    "total_amount" DOUBLE PRECISION,
    "date_created" TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP,
    "created_at" TIMESTAMPTZ(3) DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3),
    "amount_to_adjust" DOUBLE PRECISION,
    "department_id" TEXT,

    CONSTRAINT "invoice_adjustment_line_item_pkey" PRIMARY KEY ("invoice_adjustment_line_item_id")
);

-- CreateTable
CREATE TABLE "invoice_request" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "charge_id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,
    "active_charge_id" UUID,
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
CREATE UNIQUE INDEX "organization_realm_id_key" ON "organization"("realm_id");

-- CreateIndex
CREATE UNIQUE INDEX "organization_driver_id_key" ON "organization"("driver_id");

-- CreateIndex
CREATE UNIQUE INDEX "organization_uac_realm_id_key" ON "organization"("uac_realm_id");

-- CreateIndex
CREATE UNIQUE INDEX "organization_uac_connection_id_key" ON "organization"("uac_connection_id");

-- CreateIndex
CREATE UNIQUE INDEX "organization_uac_access_token_key" ON "organization"("uac_access_token");

-- CreateIndex
CREATE UNIQUE INDEX "uac_invoice_pricer_invoice_id_key" ON "uac_invoice"("pricer_invoice_id");

-- CreateIndex
CREATE UNIQUE INDEX "uac_invoice_organization_id_provider_entity_id_key" ON "uac_invoice"("organization_id", "provider_entity_id");

-- CreateIndex
CREATE INDEX "uac_line_item_uac_invoice_id_idx" ON "uac_line_item"("uac_invoice_id");

-- CreateIndex
CREATE INDEX "uac_line_item_acc_uac_invoice_id_idx" ON "uac_line_item"("acc_uac_invoice_id");

-- CreateIndex
CREATE UNIQUE INDEX "unique_provider_entity_id" ON "uac_customer"("provider_entity_id");

-- CreateIndex
CREATE UNIQUE INDEX "uac_customer_organization_id_provider_entity_id_key" ON "uac_customer"("organization_id", "provider_entity_id");

-- CreateIndex
CREATE UNIQUE INDEX "uac_address_uac_customer_id_type_key" ON "uac_address"("uac_customer_id", "type");

-- CreateIndex
CREATE UNIQUE INDEX "uac_address_uac_vendor_id_type_key" ON "uac_address"("uac_vendor_id", "type");

-- CreateIndex
CREATE UNIQUE INDEX "uac_item_organization_id_provider_entity_id_key" ON "uac_item"("organization_id", "provider_entity_id");

-- CreateIndex
CREATE UNIQUE INDEX "acc_uac_invoice_provider_entity_id_key" ON "acc_uac_invoice"("provider_entity_id");

-- CreateIndex
CREATE UNIQUE INDEX "acc_uac_invoice_pricer_invoice_id_key" ON "acc_uac_invoice"("pricer_invoice_id");

-- CreateIndex
CREATE INDEX "acc_uac_invoice_organization_id_document_number_idx" ON "acc_uac_invoice"("organization_id", "document_number");

-- CreateIndex
CREATE UNIQUE INDEX "unique_organization_id_provider_entity_id_acc_uac" ON "acc_uac_invoice"("organization_id", "provider_entity_id");

-- CreateIndex
CREATE INDEX "invoice_adjustment_line_item_invoice_line_item_id_idx" ON "invoice_adjustment_line_item"("invoice_line_item_id");

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

-- AddForeignKey
ALTER TABLE "uac_invoice" ADD CONSTRAINT "uac_invoice_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_invoice" ADD CONSTRAINT "uac_invoice_stream_customer_id_fkey" FOREIGN KEY ("stream_customer_id") REFERENCES "customer"("customer_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_line_item" ADD CONSTRAINT "fk_acc_uac_invoice" FOREIGN KEY ("acc_uac_invoice_id") REFERENCES "acc_uac_invoice"("id") ON DELETE CASCADE ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "uac_line_item" ADD CONSTRAINT "uac_line_item_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product"("product_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_line_item" ADD CONSTRAINT "uac_line_item_uac_invoice_id_fkey" FOREIGN KEY ("uac_invoice_id") REFERENCES "uac_invoice"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "customer" ADD CONSTRAINT "customer_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "customer" ADD CONSTRAINT "customer_uac_customer_id_fkey" FOREIGN KEY ("uac_customer_id") REFERENCES "uac_customer"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_customer" ADD CONSTRAINT "uac_customer_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_address" ADD CONSTRAINT "uac_address_uac_customer_id_fkey" FOREIGN KEY ("uac_customer_id") REFERENCES "uac_customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "product" ADD CONSTRAINT "product_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "product" ADD CONSTRAINT "product_uac_item_id_fkey" FOREIGN KEY ("uac_item_id") REFERENCES "uac_item"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_item" ADD CONSTRAINT "uac_item_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "acc_uac_invoice" ADD CONSTRAINT "fk_stream_customer" FOREIGN KEY ("customer_id") REFERENCES "uac_customer"("id") ON DELETE CASCADE ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "acc_uac_invoice" ADD CONSTRAINT "fk_organization" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "invoice_adjustment" ADD CONSTRAINT "invoice_adjustment_invoice_id_fkey" FOREIGN KEY ("invoice_id") REFERENCES "uac_invoice"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoice_adjustment" ADD CONSTRAINT "invoice_adjustment_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoice_adjustment_line_item" ADD CONSTRAINT "invoice_adjustment_line_item_invoice_adjustment_id_fkey" FOREIGN KEY ("invoice_adjustment_id") REFERENCES "invoice_adjustment"("invoice_adjustment_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoice_adjustment_line_item" ADD CONSTRAINT "invoice_adjustment_line_item_invoice_line_item_id_fkey" FOREIGN KEY ("invoice_line_item_id") REFERENCES "uac_line_item"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoice_adjustment_line_item" ADD CONSTRAINT "invoice_adjustment_line_item_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoice_request" ADD CONSTRAINT "invoice_request_charge_id_fkey" FOREIGN KEY ("charge_id") REFERENCES "uac_invoice"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoice_request" ADD CONSTRAINT "invoice_request_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "invoice_request" ADD CONSTRAINT "invoice_request_acc_uac_invoice_id_fkey" FOREIGN KEY ("acc_uac_invoice_id") REFERENCES "acc_uac_invoice"("id") ON DELETE SET NULL ON UPDATE CASCADE;

