-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "AdjustmentReason" AS ENUM ('INACCURATE_EXPERT_RATE', 'EXPERT_NOT_HELPFUL_FC', 'EXPERT_NOT_HELPFUL_PC', 'CALL_CANCELED_INITIATED', 'INTERNAL_PROJECT_SPECIAL_PROMO', 'TECHNICAL_ISSUE_QUALITY', 'TEGUS_EMPLOYEE_ERROR', 'MULITPLE_RESCHEDULES_BY_EXPERT', 'PREARRANGED_30_MIN_CALL', 'EXPERT_1_HOUR_MINIMUM', 'MISREPRESENTED_EXPERT', 'TRIAL_PERIOD_CALL', 'ROUND_TO_15_MIN', 'ROUND_TO_30_MIN', 'ROUND_TO_45_MIN', 'ROUND_TO_60_MIN', 'ROUND_TO_75_MIN', 'ROUND_TO_90_MIN', 'OTHER');

-- CreateEnum
CREATE TYPE "BillingFrequency" AS ENUM ('MONTHLY', 'ANNUALY', 'QUARTERLY');

-- CreateEnum
CREATE TYPE "CreditGrantRestrictionType" AS ENUM ('NONE', 'PRODUCT', 'CONTRACT');

-- CreateEnum
CREATE TYPE "CreditLedgerStatus" AS ENUM ('PENDING', 'CLEARED', 'REJECTED');

-- CreateEnum
CREATE TYPE "CreditType" AS ENUM ('PROMOCALL', 'PROMODOLLARS', 'BONUSDOLLARS', 'PREPAIDPACKAGEDOLLARS');

-- CreateEnum
CREATE TYPE "GrantUnit" AS ENUM ('QUANTITY', 'AMOUNT');

-- CreateEnum
CREATE TYPE "InvoiceAdjustmentLineItemAction" AS ENUM ('add', 'delete', 'modify');

-- CreateEnum
CREATE TYPE "PricingAccumulationPeriod" AS ENUM ('MONTHLY', 'QUARTERLY', 'ANNUALLY');

-- CreateEnum
CREATE TYPE "PricingIntervalType" AS ENUM ('RAMPED', 'STEPPED');

-- CreateEnum
CREATE TYPE "ReconciliationStatus" AS ENUM ('MATCHED', 'UNMATCHED', 'REQUIRES_CONFIRMATION');

-- CreateEnum
CREATE TYPE "approval_object_type" AS ENUM ('INVOICE', 'ADDON', 'INVOICE_ADJUSTMENT', 'CREDIT_GRANT', 'ORGANIZATION_ADDON', 'CUSTOMER_ADDON', 'CONTRACT_ADDON', 'PRODUCT_ADDON', 'CONTRACT', 'CUSTOMER', 'PRODUCT', 'FIXED_FEE_PLAN', 'MINIMUM_PLAN', 'DISCOUNT_PLAN', 'USAGE_PLAN', 'REV_SHARE_PLAN', 'USAGE_REV_SHARE_PLAN');

-- CreateEnum
CREATE TYPE "approval_status" AS ENUM ('SUBMITTED', 'AWAITING_APPROVAL', 'APPROVED', 'DENIED', 'WITHDRAWN');

-- CreateEnum
CREATE TYPE "currency" AS ENUM ('USD', 'CAD', 'EUR', 'GBP');

-- CreateEnum
CREATE TYPE "invoice_status" AS ENUM ('DRAFT', 'PAID', 'SUBMITTED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "reconciliation_object_type" AS ENUM ('contract', 'purchase_order', 'invoice', 'accounting_entry', 'banking_entry', 'product', 'customer', 'uac_customer');

-- CreateEnum
CREATE TYPE "reconciliation_scope" AS ENUM ('ORGANIZATION', 'GLOBAL');

-- CreateEnum
CREATE TYPE "reminder_status" AS ENUM ('PENDING', 'SENT', 'FAILED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "reminder_types" AS ENUM ('BEFORE_DUE_DATE', 'ON_DUE_DATE', 'AFTER_DUE_DATE', 'ON_DEMAND');

-- CreateEnum
CREATE TYPE "uac_account_category" AS ENUM ('asset', 'expense', 'equity', 'liability', 'income', 'nonposting', 'unknown');

-- CreateEnum
CREATE TYPE "uac_account_status" AS ENUM ('active', 'inactive', 'pending');

-- CreateEnum
CREATE TYPE "uac_account_type" AS ENUM ('accounts_payable', 'accounts_receivable', 'bank', 'fixed_asset', 'other_asset', 'other_current_asset', 'liability', 'equity', 'expense', 'other_expense', 'income', 'other_income', 'credit_card', 'cost_of_goods_sold', 'other_current_liability', 'long_term_liability', 'non_posting', 'unknown');

-- CreateEnum
CREATE TYPE "uac_address_type" AS ENUM ('billing', 'shipping', 'po_box', 'unknown');

-- CreateEnum
CREATE TYPE "uac_bill_payment_type" AS ENUM ('BILL_PAYMENT', 'BILL_CREDIT_MEMO', 'UNKNOWN');

-- CreateEnum
CREATE TYPE "uac_bill_payments_line_item_type" AS ENUM ('bill', 'journal_entry', 'credit_note', 'unknown');

-- CreateEnum
CREATE TYPE "uac_bill_status" AS ENUM ('open', 'partially_paid', 'paid', 'void', 'draft', 'unknown', 'submitted');

-- CreateEnum
CREATE TYPE "uac_customer_status" AS ENUM ('ACTIVE', 'INACTIVE', 'UNKNOWN');

-- CreateEnum
CREATE TYPE "uac_invoice_payment_type" AS ENUM ('INVOICE_PAYMENT', 'INVOICE_CREDIT_MEMO', 'UNKNOWN');

-- CreateEnum
CREATE TYPE "uac_item_line_detail_type" AS ENUM ('BILL', 'INVOICE');

-- CreateEnum
CREATE TYPE "uac_item_status" AS ENUM ('active', 'archived', 'unknown');

-- CreateEnum
CREATE TYPE "uac_item_type" AS ENUM ('inventory', 'non_inventory', 'service', 'discount', 'unknown');

-- CreateEnum
CREATE TYPE "uac_purchase_order_status" AS ENUM ('open', 'closed', 'pending_bill', 'unknown');

-- CreateEnum
CREATE TYPE "uac_vendor_status" AS ENUM ('active', 'archived', 'unknown');

-- CreateEnum
CREATE TYPE "us_state" AS ENUM ('AL', 'AK', 'AS', 'AZ', 'AR', 'CA', 'CO', 'CT', 'DE', 'DC', 'FM', 'FL', 'GA', 'GU', 'HI', 'ID', 'IL', 'IN', 'IA', 'KS', 'KY', 'LA', 'ME', 'MH', 'MD', 'MA', 'MI', 'MN', 'MS', 'MO', 'MT', 'NE', 'NV', 'NH', 'NJ', 'NM', 'NY', 'NC', 'ND', 'MP', 'OH', 'OK', 'OR', 'PW', 'PA', 'PR', 'RI', 'SC', 'SD', 'TN', 'TX', 'UT', 'VT', 'VI', 'VA', 'WA', 'WV', 'WI', 'WY');

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
CREATE TABLE "approval" (
    "approval_id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "status" "approval_status" NOT NULL DEFAULT 'SUBMITTED',
    "created_at" TIMESTAMPTZ(3) DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3),
    "additional_fields" JSONB,
    "requested_by" TEXT,
    "requested_date" TIMESTAMPTZ(3) DEFAULT CURRENT_TIMESTAMP,
    "request_comment" TEXT,
    "approve_by" TEXT,
    "approved_by" TEXT,
    "approved_date" TIMESTAMP(3),
    "approval_comment" TEXT,
    "object_type" "approval_object_type" NOT NULL,
    "invoice_id" UUID,
    "addon_id" UUID,
    "invoice_adjustment_id" UUID,
    "credit_grant_id" UUID,
    "organization_addon_id" UUID,
    "customer_addon_id" UUID,
    "contract_addon_id" UUID,
    "product_addon_id" UUID,
    "contract_id" UUID,
    "customer_id" UUID,
    "product_id" UUID,
    "plan_id" UUID,

    CONSTRAINT "approval_pkey" PRIMARY KEY ("approval_id")
);

-- CreateTable
CREATE TABLE "approval_slack_request_content" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "slack_request_content" JSONB,
    "approval_id" UUID NOT NULL,

    CONSTRAINT "approval_slack_request_content_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "automation_workflow" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "description" TEXT,
    "trigger" JSONB NOT NULL,
    "action" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "automation_workflow_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "carbonarc_vendor_totals" (
    "vendorname" VARCHAR(20),
    "year" BIGINT,
    "month" BIGINT,
    "total" DOUBLE PRECISION,
    "updated_at" TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "contract" (
    "contract_id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "customer_id" UUID,
    "start_date" DATE,
    "end_date" DATE,
    "billing_frequency" "BillingFrequency",
    "min_contract_spend" DOUBLE PRECISION,
    "additional_fields" JSONB,
    "contract_name" TEXT,
    "organization_id" UUID,
    "created_at" TIMESTAMPTZ(3) DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3),

    CONSTRAINT "contract_pkey" PRIMARY KEY ("contract_id")
);

-- CreateTable
CREATE TABLE "contract_addon" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "contract_id" UUID NOT NULL,
    "addon_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "contract_addon_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "contract_product" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "contract_id" UUID NOT NULL,
    "product_id" UUID NOT NULL,
    "unit_price" DOUBLE PRECISION,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3),

    CONSTRAINT "contract_product_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "contract_results" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "contract_id" UUID NOT NULL,
    "parent" TEXT,
    "sub" TEXT,
    "invoice_date" TIMESTAMP(6) NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "created_at" TIMESTAMPTZ(6) DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "contract_results_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "contract_signature" (
    "id" UUID NOT NULL,
    "organization_id" UUID,
    "created_at" TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP,
    "signature" TEXT,

    CONSTRAINT "contract_signature_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "credit_grant" (
    "credit_grant_id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "customer_id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,
    "grant_date" DATE,
    "expiry_date" DATE,
    "grant_value" DOUBLE PRECISION,
    "grant_unit" "GrantUnit",
    "current_value" DOUBLE PRECISION,
    "rev_recog_multiplier" DOUBLE PRECISION,
    "additional_fields" JSONB,
    "credit_type" "CreditType",
    "created_at" TIMESTAMPTZ(3) DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3),
    "virtual_balance" DOUBLE PRECISION,
    "credit_grant_restriction_type" "CreditGrantRestrictionType" NOT NULL DEFAULT 'NONE',

    CONSTRAINT "credit_grant_pkey" PRIMARY KEY ("credit_grant_id")
);

-- CreateTable
CREATE TABLE "credit_grant_ledger" (
    "credit_grant_ledger_id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "credit_grant_id" UUID NOT NULL,
    "date" DATE DEFAULT CURRENT_TIMESTAMP,
    "credit_amount" DOUBLE PRECISION,
    "debit_amount" DOUBLE PRECISION,
    "description" TEXT,
    "additional_fields" JSONB,
    "created_at" TIMESTAMPTZ(3) DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3),
    "status" "CreditLedgerStatus" DEFAULT 'PENDING',

    CONSTRAINT "credit_grant_ledger_pkey" PRIMARY KEY ("credit_grant_ledger_id")
);

-- CreateTable
CREATE TABLE "credit_grant_restriction" (
    "credit_grant_restriction_id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "credit_grant_id" UUID NOT NULL,
    "product_id" UUID,
    "created_at" TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3),
    "contract_id" UUID,

    CONSTRAINT "credit_grant_restriction_pkey" PRIMARY KEY ("credit_grant_restriction_id")
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
CREATE TABLE "customer_addon" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "customer_id" UUID NOT NULL,
    "addon_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "customer_addon_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "customer_signature" (
    "id" UUID NOT NULL,
    "organization_id" UUID,
    "created_at" TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP,
    "signature" TEXT,

    CONSTRAINT "customer_signature_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "dashboard_stats_base" (
    "organization_id" TEXT,
    "month" TIMESTAMP(6),
    "charges" DOUBLE PRECISION,
    "payments" DOUBLE PRECISION,
    "returns" DOUBLE PRECISION,
    "bop_ar" DOUBLE PRECISION,
    "eop_ar" DOUBLE PRECISION,
    "net_credit_sales" DOUBLE PRECISION,
    "avg_ar" DOUBLE PRECISION,
    "ar_turnover_ratio" DOUBLE PRECISION,
    "ar_turnover_days" DOUBLE PRECISION,
    "dso" DOUBLE PRECISION,
    "bop_mrr" DOUBLE PRECISION,
    "new_mrr" DOUBLE PRECISION,
    "expansion_mrr" DOUBLE PRECISION,
    "contraction_mrr" DOUBLE PRECISION,
    "churn_mrr" DOUBLE PRECISION,
    "eop_mrr" DOUBLE PRECISION,
    "churn_rate" BIGINT,
    "bop_customer" BIGINT,
    "new_customer" DOUBLE PRECISION,
    "churn_customer" DOUBLE PRECISION,
    "eop_customer" BIGINT,
    "gross_sales_revenue" DOUBLE PRECISION,
    "arpa" DOUBLE PRECISION,
    "acl" DOUBLE PRECISION,
    "cltv" DOUBLE PRECISION,
    "revenue_churn_rate" DOUBLE PRECISION,
    "customer_churn_rate" DOUBLE PRECISION,
    "non_recurring_one_time" DECIMAL,
    "no_non_recurring_one_time" DECIMAL,
    "artp" DECIMAL,
    "lifetime_non_recurring_revenue" DECIMAL
);

-- CreateTable
CREATE TABLE "email_provider" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "provider_name" VARCHAR(255) NOT NULL,
    "token" JSONB,
    "idtoken" JSONB,
    "account" JSONB,
    "refreshtoken" JSONB,
    "email" TEXT,
    "email_action" TEXT,

    CONSTRAINT "email_provider_pkey" PRIMARY KEY ("id")
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
CREATE TABLE "mrr_by_customer" (
    "organization_id" TEXT,
    "month" TIMESTAMP(6),
    "customer" TEXT,
    "mrr" DOUBLE PRECISION
);

-- CreateTable
CREATE TABLE "agent_interaction_enabled" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "role" TEXT NOT NULL,
    "user_id" UUID NOT NULL,

    CONSTRAINT "agent_interaction_enabled_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "agent_store" (
    "namespace" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "value" JSONB,

    CONSTRAINT "agent_store_pkey" PRIMARY KEY ("namespace","key")
);

-- CreateTable
CREATE TABLE "object_approver" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "object_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,

    CONSTRAINT "object_approver_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "object_status" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "object_id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,
    "status" TEXT,

    CONSTRAINT "object_status_pkey" PRIMARY KEY ("id")
);

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
CREATE TABLE "organization_addon" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "addon_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "organization_addon_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "organization_group_user" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "user_id" UUID NOT NULL,
    "user_group_id" UUID NOT NULL,

    CONSTRAINT "organization_group_user_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "plaid_auth_data" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "item_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "access_token" TEXT NOT NULL,
    "organization_id" UUID NOT NULL,

    CONSTRAINT "plaid_auth_data_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "pricing_interval" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "contract_product_id" UUID NOT NULL,
    "constant_amount" DOUBLE PRECISION NOT NULL DEFAULT 0.0,
    "interval_min" INTEGER NOT NULL,
    "interval_max" INTEGER,
    "unit_price" DOUBLE PRECISION NOT NULL,
    "pricing_interval_type" "PricingIntervalType" NOT NULL DEFAULT 'RAMPED',
    "accumulation_period" "PricingAccumulationPeriod" NOT NULL DEFAULT 'MONTHLY',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3),

    CONSTRAINT "pricing_interval_pkey" PRIMARY KEY ("id")
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
CREATE TABLE "product_addon" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "product_id" UUID NOT NULL,
    "addon_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "product_addon_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "product_signature" (
    "id" UUID NOT NULL,
    "organization_id" UUID,
    "created_at" TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP,
    "signature" TEXT,

    CONSTRAINT "product_signature_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "product_to_uac_item" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "product_id" UUID NOT NULL,
    "uac_item_id" UUID NOT NULL,

    CONSTRAINT "product_to_uac_item_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reconciliation_match" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "source_type" "reconciliation_object_type" NOT NULL,
    "reference_type" "reconciliation_object_type" NOT NULL,
    "organization_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "source_id" UUID NOT NULL,
    "reference_id" UUID NOT NULL,

    CONSTRAINT "reconciliation_match_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reconciliation_setting" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID,
    "scope" "reconciliation_scope" NOT NULL,
    "key" TEXT NOT NULL,
    "value" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "reconciliation_setting_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "reminder_settings" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "days_before_due" BIGINT DEFAULT 0,
    "on_due_date" BOOLEAN DEFAULT true,
    "days_after_due" BIGINT DEFAULT 0,

    CONSTRAINT "reminder_settings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "scheduled_reminders" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "invoice_id" UUID NOT NULL,
    "reminder_date" TIMESTAMPTZ(6) NOT NULL,
    "status" "reminder_status" NOT NULL DEFAULT 'PENDING',
    "reminder_type" "reminder_types" NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "to" TEXT NOT NULL,
    "subject" TEXT,
    "text" TEXT,
    "attachments" JSONB,
    "customer_name" TEXT,
    "email_action_type" TEXT,

    CONSTRAINT "scheduled_reminders_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "slack_bots" (
    "id" BIGSERIAL NOT NULL,
    "client_id" VARCHAR(32) NOT NULL,
    "app_id" VARCHAR(32) NOT NULL,
    "enterprise_id" VARCHAR(32),
    "enterprise_name" VARCHAR(200),
    "team_id" VARCHAR(32),
    "team_name" VARCHAR(200),
    "bot_token" VARCHAR(200),
    "bot_id" VARCHAR(32),
    "bot_user_id" VARCHAR(32),
    "bot_scopes" VARCHAR(1000),
    "bot_refresh_token" VARCHAR(200),
    "bot_token_expires_at" TIMESTAMP(6),
    "is_enterprise_install" BOOLEAN NOT NULL,
    "installed_at" TIMESTAMP(6) NOT NULL,

    CONSTRAINT "slack_bots_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "slack_installations" (
    "id" BIGSERIAL NOT NULL,
    "client_id" VARCHAR(32) NOT NULL,
    "app_id" VARCHAR(32) NOT NULL,
    "enterprise_id" VARCHAR(32),
    "enterprise_name" VARCHAR(200),
    "enterprise_url" VARCHAR(200),
    "team_id" VARCHAR(32),
    "team_name" VARCHAR(200),
    "bot_token" VARCHAR(200),
    "bot_id" VARCHAR(32),
    "bot_user_id" VARCHAR(32),
    "bot_scopes" VARCHAR(1000),
    "bot_refresh_token" VARCHAR(200),
    "bot_token_expires_at" TIMESTAMP(6),
    "user_id" VARCHAR(32) NOT NULL,
    "user_token" VARCHAR(200),
    "user_scopes" VARCHAR(1000),
    "user_refresh_token" VARCHAR(200),
    "user_token_expires_at" TIMESTAMP(6),
    "incoming_webhook_url" VARCHAR(200),
    "incoming_webhook_channel" VARCHAR(200),
    "incoming_webhook_channel_id" VARCHAR(200),
    "incoming_webhook_configuration_url" VARCHAR(200),
    "is_enterprise_install" BOOLEAN NOT NULL,
    "token_type" VARCHAR(32),
    "installed_at" TIMESTAMP(6) NOT NULL,

    CONSTRAINT "slack_installations_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "slack_oauth_states" (
    "id" BIGSERIAL NOT NULL,
    "state" VARCHAR(200) NOT NULL,
    "expire_at" TIMESTAMP(6) NOT NULL,

    CONSTRAINT "slack_oauth_states_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "uac_account" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "provider_entity_id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "parent_id" UUID,
    "account_type" "uac_account_type" NOT NULL,
    "category" "uac_account_category" NOT NULL,
    "status" "uac_account_status" NOT NULL,
    "balance" DECIMAL,
    "currency_code" "currency",
    "name" TEXT,
    "nominal_code" TEXT,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_synced_at" TEXT NOT NULL,
    "platform_url" TEXT,
    "platform_data" JSONB,

    CONSTRAINT "uac_account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "uac_subsidiary" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "provider_entity_id" TEXT NOT NULL,
    "platform_id" TEXT NOT NULL,
    "parent_id" UUID,
    "country" TEXT NOT NULL,
    "elimination" BOOLEAN NOT NULL,
    "status" TEXT NOT NULL,
    "currency_code" "currency",
    "name" TEXT,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_synced_at" TEXT NOT NULL,

    CONSTRAINT "uac_subsidiary_pkey" PRIMARY KEY ("id")
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
CREATE TABLE "uac_bill" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "platform_id" TEXT,
    "memo" TEXT,
    "document_number" TEXT,
    "account_id" TEXT,
    "vendor_id" TEXT,
    "subsidiary_id" TEXT,
    "issue_date" TEXT,
    "due_date" TEXT,
    "currency_code" TEXT,
    "status" "uac_bill_status",
    "amount_due" DOUBLE PRECISION,
    "total_amount" DOUBLE PRECISION,
    "sub_total" DOUBLE PRECISION,
    "tax_amount" DOUBLE PRECISION,
    "total_discount" DECIMAL,
    "created_at" TEXT,
    "updated_at" TEXT,
    "platform_data" JSONB,

    CONSTRAINT "uac_bill_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "uac_bill_payment" (
    "id" UUID NOT NULL,
    "uac_bill_id" UUID NOT NULL,
    "allocated_date" TEXT,
    "allocated_amount" DOUBLE PRECISION,
    "type" "uac_bill_payment_type",

    CONSTRAINT "uac_bill_payment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "uac_bill_payments" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "platform_id" TEXT,
    "vendor_id" TEXT,
    "account_id" TEXT,
    "total_amount" DECIMAL(10,2),
    "currency_code" "currency",
    "memo" TEXT,
    "currency_rate" TEXT,
    "txn_date" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "uac_bill_payments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "uac_bill_payments_linked_bill" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "bill_payment_id" UUID NOT NULL,
    "allocated_amount" DECIMAL(10,2),
    "allocated_date" TEXT,

    CONSTRAINT "uac_bill_payments_linked_bill_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "uac_bill_purchase_order" (
    "id" UUID NOT NULL,
    "uac_bill_id" UUID NOT NULL,

    CONSTRAINT "uac_bill_purchase_order_pkey" PRIMARY KEY ("id")
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
CREATE TABLE "uac_invoice_payment" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "payment_id" UUID,
    "uac_invoice_id" UUID,
    "date" TIMESTAMPTZ(6),
    "amount" DECIMAL(10,2),
    "type" "uac_invoice_payment_type" NOT NULL,
    "source_type" TEXT DEFAULT 'ACCOUNTING',
    "acc_uac_invoice_id" UUID,
    "organization_id" UUID,
    "updated_at" TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "uac_invoice_payment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "unprocessed_uac_invoice_payment" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "payment_id" UUID,
    "uac_invoice_id" UUID,
    "date" TIMESTAMP(3),
    "amount" DECIMAL(10,2),
    "type" "uac_invoice_payment_type" NOT NULL,
    "acc_uac_invoice_id" UUID,
    "organization_id" UUID,

    CONSTRAINT "unprocessed_uac_invoice_payment_pkey" PRIMARY KEY ("id")
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
CREATE TABLE "uac_item_line_detail" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "account_id" TEXT,
    "unit_price" DECIMAL(10,2),
    "description" TEXT,
    "type" "uac_item_line_detail_type" NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "uac_item_line_detail_pkey" PRIMARY KEY ("id")
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
CREATE TABLE "uac_line_item_detail" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "item_id" TEXT,
    "quantity" INTEGER,
    "unit_amount" DOUBLE PRECISION,
    "uac_line_item_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "uac_line_item_detail_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "uac_purchase_order" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "provider_entity_id" TEXT,
    "platform_id" TEXT,
    "vendor_id" TEXT,
    "issue_date" TIMESTAMP(3),
    "status" "uac_purchase_order_status" NOT NULL,
    "currency_code" "currency",
    "document_number" TEXT,
    "memo" TEXT,
    "total_amount" DECIMAL(10,2),
    "total_quantity" INTEGER,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "uac_purchase_order_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "uac_requests" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "request_payload" JSONB NOT NULL,
    "request_type" TEXT NOT NULL,
    "organization_id" UUID NOT NULL,

    CONSTRAINT "uac_requests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "uac_vendor" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "provider_entity_id" TEXT,
    "platform_id" TEXT,
    "status" "uac_vendor_status" NOT NULL,
    "contact_name" TEXT,
    "currency_code" "currency",
    "vendor_name" TEXT,
    "email" TEXT,
    "phone" TEXT,
    "registration_number" TEXT,
    "tax_number" TEXT,
    "website" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "uac_vendor_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "usage" (
    "usage_id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "customer_id" UUID NOT NULL,
    "product_id" UUID NOT NULL,
    "quantity" DOUBLE PRECISION,
    "additional_fields" JSONB,
    "start_time" TIMESTAMP(3),
    "end_time" TIMESTAMP(3),
    "date" TIMESTAMP(3),
    "created_at" TIMESTAMPTZ(3) DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) DEFAULT CURRENT_TIMESTAMP,
    "contract_id" UUID,
    "vendor_id" UUID,
    "usage_type" TEXT,

    CONSTRAINT "usage_pkey" PRIMARY KEY ("usage_id")
);

-- CreateTable
CREATE TABLE "contract_reference_data" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "date" TIMESTAMPTZ(6),
    "value" DOUBLE PRECISION,
    "type" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(6) DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "contract_reference_data_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "payment_gateways" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "provider" TEXT NOT NULL,
    "external_account_id" TEXT,
    "access_token" TEXT,
    "refresh_token" TEXT,
    "credentials" JSONB,
    "status" TEXT NOT NULL DEFAULT 'CREATED',
    "connected_at" TIMESTAMPTZ(6),
    "metadata" JSONB,
    "created_at" TIMESTAMPTZ(6) DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) DEFAULT CURRENT_TIMESTAMP,
    "connection_name" TEXT,
    "email" TEXT,

    CONSTRAINT "payment_gateways_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sync_config" (
    "connection_id" UUID NOT NULL,
    "organization_id" UUID NOT NULL,
    "provider" TEXT NOT NULL,
    "source_type" TEXT NOT NULL,
    "sync_interval_minutes" BIGINT DEFAULT 60,
    "last_synced" TIMESTAMPTZ(6),
    "next_scheduled" TIMESTAMPTZ(6),
    "id" UUID NOT NULL DEFAULT gen_random_uuid()
);

-- CreateTable
CREATE TABLE "sync_jobs" (
    "id" TEXT NOT NULL,
    "organization_id" UUID NOT NULL,
    "connection_id" UUID NOT NULL,
    "provider" TEXT NOT NULL,
    "source_type" TEXT NOT NULL,
    "resource_type" TEXT NOT NULL,
    "sync_type" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'PENDING',
    "started_at" TIMESTAMP(3),
    "completed_at" TIMESTAMP(3),
    "error" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "sync_jobs_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "connections" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "name" TEXT,
    "platform" TEXT,
    "link_url" TEXT,
    "status" TEXT,
    "access_token" TEXT,
    "refresh_token" TEXT,
    "expires_in" BIGINT,
    "created_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(6) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "historical_sync" BOOLEAN DEFAULT false,
    "historical_sync_time_stamp" TIMESTAMP(6),

    CONSTRAINT "connections_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "usage_header_mapping" (
    "organization_id" UUID NOT NULL,
    "source_headers" VARCHAR(100),
    "destination_headers" VARCHAR(100)
);

-- CreateTable
CREATE TABLE "usage_partner_mapping" (
    "organization_id" UUID NOT NULL,
    "client_partner_id" VARCHAR(500) NOT NULL,
    "client_partner_name" VARCHAR(500) NOT NULL,
    "stream_partner_id" UUID NOT NULL,
    "stream_partner_name" VARCHAR(500) NOT NULL
);

-- CreateTable
CREATE TABLE "usage_processed" (
    "customer_id" TEXT,
    "product_id" TEXT,
    "date" TEXT,
    "customer_name" TEXT,
    "vendor_id" TEXT,
    "vendor_name" TEXT,
    "product_name" TEXT,
    "organization_id" TEXT,
    "id" UUID DEFAULT gen_random_uuid(),
    "contract_id" UUID,
    "updated_at" TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP,
    "quantity" DECIMAL,
    "usage_type" TEXT
);

-- CreateTable
CREATE TABLE "usage_product_mapping" (
    "organization_id" UUID NOT NULL,
    "client_product_id" VARCHAR(500) NOT NULL,
    "client_partner_name" VARCHAR(500) NOT NULL,
    "stream_product_id" UUID NOT NULL,
    "stream_partner_name" VARCHAR(500) NOT NULL
);

-- CreateTable
CREATE TABLE "usage_unprocessed" (
    "customer_id" TEXT,
    "product_id" TEXT,
    "date" TEXT,
    "customer_name" TEXT,
    "vendor_id" TEXT,
    "vendor_name" TEXT,
    "product_name" TEXT,
    "organization_id" TEXT,
    "id" UUID DEFAULT gen_random_uuid(),
    "contract_id" UUID,
    "updated_at" TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP,
    "quantity" DECIMAL,
    "usage_type" TEXT
);

-- CreateTable
CREATE TABLE "user" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "email_id" TEXT NOT NULL,
    "first_name" TEXT,
    "last_name" TEXT,
    "full_name" TEXT,
    "slack_user_id" TEXT,
    "slack_user_name" TEXT,
    "approver_slack_user_id" TEXT,
    "phone" TEXT,
    "slack_user_role" TEXT,
    "organization_user_role_id" TEXT NOT NULL,
    "auth0_id" TEXT,
    "is_deleted" BOOLEAN NOT NULL DEFAULT false,
    "is_email_verified" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "password" TEXT,
    "password_reset_token" JSONB,

    CONSTRAINT "user_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "user_group" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "organization_id" UUID NOT NULL,
    "group_name" TEXT,
    "notification_type" TEXT,
    "notification_level" TEXT,
    "is_in_app_channel_enabled" BOOLEAN DEFAULT true,
    "is_slack_channel_enabled" BOOLEAN DEFAULT true,
    "is_email_channel_enabled" BOOLEAN DEFAULT true,

    CONSTRAINT "user_group_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "acc_uac_invoice_provider_entity_id_key" ON "acc_uac_invoice"("provider_entity_id");

-- CreateIndex
CREATE UNIQUE INDEX "acc_uac_invoice_pricer_invoice_id_key" ON "acc_uac_invoice"("pricer_invoice_id");

-- CreateIndex
CREATE UNIQUE INDEX "unique_organization_id_provider_entity_id_acc_uac" ON "acc_uac_invoice"("organization_id", "provider_entity_id");

-- CreateIndex
CREATE UNIQUE INDEX "contract_addon_contract_id_addon_id_key" ON "contract_addon"("contract_id", "addon_id");

-- CreateIndex
CREATE UNIQUE INDEX "contract_product_contract_id_product_id_key" ON "contract_product"("contract_id", "product_id");

-- CreateIndex
CREATE UNIQUE INDEX "customer_addon_customer_id_addon_id_key" ON "customer_addon"("customer_id", "addon_id");

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
CREATE UNIQUE INDEX "organization_addon_organization_id_addon_id_key" ON "organization_addon"("organization_id", "addon_id");

-- CreateIndex
CREATE UNIQUE INDEX "plaid_auth_data_item_id_key" ON "plaid_auth_data"("item_id");

-- CreateIndex
CREATE UNIQUE INDEX "product_addon_product_id_addon_id_key" ON "product_addon"("product_id", "addon_id");

-- CreateIndex
CREATE UNIQUE INDEX "unique_organization_id" ON "reminder_settings"("organization_id");

-- CreateIndex
CREATE INDEX "slack_bots_idx" ON "slack_bots"("client_id", "enterprise_id", "team_id", "installed_at");

-- CreateIndex
CREATE INDEX "slack_installations_idx" ON "slack_installations"("client_id", "enterprise_id", "team_id", "user_id", "installed_at");

-- CreateIndex
CREATE UNIQUE INDEX "uac_account_organization_id_provider_entity_id_key" ON "uac_account"("organization_id", "provider_entity_id");

-- CreateIndex
CREATE UNIQUE INDEX "uac_subsidiary_organization_id_provider_entity_id_key" ON "uac_subsidiary"("organization_id", "provider_entity_id");

-- CreateIndex
CREATE UNIQUE INDEX "uac_address_uac_customer_id_type_key" ON "uac_address"("uac_customer_id", "type");

-- CreateIndex
CREATE UNIQUE INDEX "uac_address_uac_vendor_id_type_key" ON "uac_address"("uac_vendor_id", "type");

-- CreateIndex
CREATE UNIQUE INDEX "uac_bill_organization_id_id_key" ON "uac_bill"("organization_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "unique_provider_entity_id" ON "uac_customer"("provider_entity_id");

-- CreateIndex
CREATE UNIQUE INDEX "uac_customer_organization_id_provider_entity_id_key" ON "uac_customer"("organization_id", "provider_entity_id");

-- CreateIndex
CREATE UNIQUE INDEX "uac_invoice_pricer_invoice_id_key" ON "uac_invoice"("pricer_invoice_id");

-- CreateIndex
CREATE UNIQUE INDEX "uac_invoice_organization_id_provider_entity_id_key" ON "uac_invoice"("organization_id", "provider_entity_id");

-- CreateIndex
CREATE UNIQUE INDEX "uac_item_organization_id_provider_entity_id_key" ON "uac_item"("organization_id", "provider_entity_id");

-- CreateIndex
CREATE UNIQUE INDEX "uac_line_item_detail_uac_line_item_id_key" ON "uac_line_item_detail"("uac_line_item_id");

-- CreateIndex
CREATE UNIQUE INDEX "uac_purchase_order_organization_id_provider_entity_id_key" ON "uac_purchase_order"("organization_id", "provider_entity_id");

-- CreateIndex
CREATE UNIQUE INDEX "uac_vendor_organization_id_provider_entity_id_key" ON "uac_vendor"("organization_id", "provider_entity_id");

-- CreateIndex
CREATE UNIQUE INDEX "sync_config_connection_id_key" ON "sync_config"("connection_id");

-- CreateIndex
CREATE UNIQUE INDEX "user_email_id_key" ON "user"("email_id");

-- CreateIndex
CREATE UNIQUE INDEX "user_slack_user_id_key" ON "user"("slack_user_id");

-- CreateIndex
CREATE UNIQUE INDEX "user_auth0_id_key" ON "user"("auth0_id");

-- AddForeignKey
ALTER TABLE "acc_uac_invoice" ADD CONSTRAINT "fk_stream_customer" FOREIGN KEY ("customer_id") REFERENCES "uac_customer"("id") ON DELETE CASCADE ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "acc_uac_invoice" ADD CONSTRAINT "fk_organization" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "approval" ADD CONSTRAINT "approval_addon_id_fkey" FOREIGN KEY ("addon_id") REFERENCES "product"("product_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "approval" ADD CONSTRAINT "approval_contract_addon_id_fkey" FOREIGN KEY ("contract_addon_id") REFERENCES "contract_addon"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "approval" ADD CONSTRAINT "approval_credit_grant_id_fkey" FOREIGN KEY ("credit_grant_id") REFERENCES "credit_grant"("credit_grant_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "approval" ADD CONSTRAINT "approval_customer_addon_id_fkey" FOREIGN KEY ("customer_addon_id") REFERENCES "customer_addon"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "approval" ADD CONSTRAINT "approval_invoice_adjustment_id_fkey" FOREIGN KEY ("invoice_adjustment_id") REFERENCES "invoice_adjustment"("invoice_adjustment_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "approval" ADD CONSTRAINT "approval_invoice_id_fkey" FOREIGN KEY ("invoice_id") REFERENCES "uac_invoice"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "approval" ADD CONSTRAINT "approval_organization_addon_id_fkey" FOREIGN KEY ("organization_addon_id") REFERENCES "organization_addon"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "approval" ADD CONSTRAINT "approval_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "approval" ADD CONSTRAINT "approval_product_addon_id_fkey" FOREIGN KEY ("product_addon_id") REFERENCES "product_addon"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "approval_slack_request_content" ADD CONSTRAINT "approval_slack_request_content_approval_id_fkey" FOREIGN KEY ("approval_id") REFERENCES "approval"("approval_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "automation_workflow" ADD CONSTRAINT "automation_workflow_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contract" ADD CONSTRAINT "contract_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer"("customer_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contract" ADD CONSTRAINT "contract_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contract_addon" ADD CONSTRAINT "contract_addon_addon_id_fkey" FOREIGN KEY ("addon_id") REFERENCES "product"("product_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contract_addon" ADD CONSTRAINT "contract_addon_contract_id_fkey" FOREIGN KEY ("contract_id") REFERENCES "contract"("contract_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contract_product" ADD CONSTRAINT "contract_product_contract_id_fkey" FOREIGN KEY ("contract_id") REFERENCES "contract"("contract_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contract_product" ADD CONSTRAINT "contract_product_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product"("product_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contract_results" ADD CONSTRAINT "contract_results_contract_id_fkey" FOREIGN KEY ("contract_id") REFERENCES "contract"("contract_id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "contract_signature" ADD CONSTRAINT "contract_signature_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "credit_grant" ADD CONSTRAINT "credit_grant_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer"("customer_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "credit_grant" ADD CONSTRAINT "credit_grant_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "credit_grant_ledger" ADD CONSTRAINT "credit_grant_ledger_credit_grant_id_fkey" FOREIGN KEY ("credit_grant_id") REFERENCES "credit_grant"("credit_grant_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "credit_grant_restriction" ADD CONSTRAINT "credit_grant_restriction_contract_id_fkey" FOREIGN KEY ("contract_id") REFERENCES "contract"("contract_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "credit_grant_restriction" ADD CONSTRAINT "credit_grant_restriction_credit_grant_id_fkey" FOREIGN KEY ("credit_grant_id") REFERENCES "credit_grant"("credit_grant_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "credit_grant_restriction" ADD CONSTRAINT "credit_grant_restriction_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product"("product_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "customer" ADD CONSTRAINT "customer_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "customer" ADD CONSTRAINT "customer_uac_customer_id_fkey" FOREIGN KEY ("uac_customer_id") REFERENCES "uac_customer"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "customer" ADD CONSTRAINT "fk_uac_vendor" FOREIGN KEY ("uac_vendor_id") REFERENCES "uac_vendor"("id") ON DELETE NO ACTION ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "customer_addon" ADD CONSTRAINT "customer_addon_addon_id_fkey" FOREIGN KEY ("addon_id") REFERENCES "product"("product_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "customer_addon" ADD CONSTRAINT "customer_addon_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer"("customer_id") ON DELETE CASCADE ON UPDATE CASCADE;

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
ALTER TABLE "object_approver" ADD CONSTRAINT "object_approver_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "object_status" ADD CONSTRAINT "object_status_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "organization_addon" ADD CONSTRAINT "organization_addon_addon_id_fkey" FOREIGN KEY ("addon_id") REFERENCES "product"("product_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "organization_addon" ADD CONSTRAINT "organization_addon_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "organization_group_user" ADD CONSTRAINT "organization_group_user_user_group_id_fkey" FOREIGN KEY ("user_group_id") REFERENCES "user_group"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "organization_group_user" ADD CONSTRAINT "organization_group_user_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "user"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "plaid_auth_data" ADD CONSTRAINT "plaid_auth_data_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "pricing_interval" ADD CONSTRAINT "pricing_interval_contract_product_id_fkey" FOREIGN KEY ("contract_product_id") REFERENCES "contract_product"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "product" ADD CONSTRAINT "product_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "product" ADD CONSTRAINT "product_uac_item_id_fkey" FOREIGN KEY ("uac_item_id") REFERENCES "uac_item"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "product_addon" ADD CONSTRAINT "product_addon_addon_id_fkey" FOREIGN KEY ("addon_id") REFERENCES "product"("product_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "product_addon" ADD CONSTRAINT "product_addon_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product"("product_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "product_to_uac_item" ADD CONSTRAINT "product_to_uac_item_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "product_to_uac_item" ADD CONSTRAINT "product_to_uac_item_uac_item_id_fkey" FOREIGN KEY ("uac_item_id") REFERENCES "uac_item"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reconciliation_match" ADD CONSTRAINT "reconciliation_match_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "reconciliation_setting" ADD CONSTRAINT "reconciliation_setting_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "scheduled_reminders" ADD CONSTRAINT "scheduled_reminders_invoice_id_fkey" FOREIGN KEY ("invoice_id") REFERENCES "acc_uac_invoice"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_address" ADD CONSTRAINT "uac_address_uac_customer_id_fkey" FOREIGN KEY ("uac_customer_id") REFERENCES "uac_customer"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_address" ADD CONSTRAINT "uac_address_uac_vendor_id_fkey" FOREIGN KEY ("uac_vendor_id") REFERENCES "uac_vendor"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_bill" ADD CONSTRAINT "uac_bill_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_bill_payment" ADD CONSTRAINT "uac_bill_payment_uac_bill_id_fkey" FOREIGN KEY ("uac_bill_id") REFERENCES "uac_bill"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_bill_payments" ADD CONSTRAINT "uac_bill_payments_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_bill_payments_linked_bill" ADD CONSTRAINT "uac_bill_payments_linked_bill_bill_payment_id_fkey" FOREIGN KEY ("bill_payment_id") REFERENCES "uac_bill_payments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_bill_purchase_order" ADD CONSTRAINT "uac_bill_purchase_order_uac_bill_id_fkey" FOREIGN KEY ("uac_bill_id") REFERENCES "uac_bill"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_customer" ADD CONSTRAINT "uac_customer_subsidiary_id_fkey" FOREIGN KEY ("subsidiary_id") REFERENCES "uac_subsidiary"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_customer" ADD CONSTRAINT "uac_customer_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_invoice" ADD CONSTRAINT "uac_invoice_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_invoice" ADD CONSTRAINT "uac_invoice_stream_customer_id_fkey" FOREIGN KEY ("stream_customer_id") REFERENCES "customer"("customer_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_invoice_payment" ADD CONSTRAINT "fk_acc_uac_invoice" FOREIGN KEY ("acc_uac_invoice_id") REFERENCES "acc_uac_invoice"("id") ON DELETE CASCADE ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "unprocessed_uac_invoice_payment" ADD CONSTRAINT "unprocessed_uac_invoice_payment_acc_uac_invoice_id_fkey" FOREIGN KEY ("acc_uac_invoice_id") REFERENCES "acc_uac_invoice"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_item" ADD CONSTRAINT "uac_item_bill_item_id_fkey" FOREIGN KEY ("bill_item_id") REFERENCES "uac_item_line_detail"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_item" ADD CONSTRAINT "uac_item_invoice_item_id_fkey" FOREIGN KEY ("invoice_item_id") REFERENCES "uac_item_line_detail"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_item" ADD CONSTRAINT "uac_item_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_line_item" ADD CONSTRAINT "fk_acc_uac_invoice" FOREIGN KEY ("acc_uac_invoice_id") REFERENCES "acc_uac_invoice"("id") ON DELETE CASCADE ON UPDATE NO ACTION;

-- AddForeignKey
ALTER TABLE "uac_line_item" ADD CONSTRAINT "uac_line_item_contract_id_fkey" FOREIGN KEY ("contract_id") REFERENCES "contract"("contract_id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_line_item" ADD CONSTRAINT "uac_line_item_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product"("product_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_line_item" ADD CONSTRAINT "uac_line_item_uac_bill_id_fkey" FOREIGN KEY ("uac_bill_id") REFERENCES "uac_bill"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_line_item" ADD CONSTRAINT "uac_line_item_uac_bill_payments_id_fkey" FOREIGN KEY ("uac_bill_payments_id") REFERENCES "uac_bill_payments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_line_item" ADD CONSTRAINT "uac_line_item_uac_invoice_id_fkey" FOREIGN KEY ("uac_invoice_id") REFERENCES "uac_invoice"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_line_item" ADD CONSTRAINT "uac_line_item_uac_purchase_order_id_fkey" FOREIGN KEY ("uac_purchase_order_id") REFERENCES "uac_purchase_order"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_line_item_detail" ADD CONSTRAINT "uac_line_item_detail_uac_line_item_id_fkey" FOREIGN KEY ("uac_line_item_id") REFERENCES "uac_line_item"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_purchase_order" ADD CONSTRAINT "uac_purchase_order_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_requests" ADD CONSTRAINT "uac_requests_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "uac_vendor" ADD CONSTRAINT "uac_vendor_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "usage" ADD CONSTRAINT "usage_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customer"("customer_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "usage" ADD CONSTRAINT "usage_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "usage" ADD CONSTRAINT "usage_product_id_fkey" FOREIGN KEY ("product_id") REFERENCES "product"("product_id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sync_config" ADD CONSTRAINT "sync_config_connection_id_fkey" FOREIGN KEY ("connection_id") REFERENCES "payment_gateways"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sync_jobs" ADD CONSTRAINT "sync_jobs_connection_id_fkey" FOREIGN KEY ("connection_id") REFERENCES "payment_gateways"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user" ADD CONSTRAINT "user_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "user_group" ADD CONSTRAINT "user_group_organization_id_fkey" FOREIGN KEY ("organization_id") REFERENCES "organization"("id") ON DELETE CASCADE ON UPDATE CASCADE;

