-- CreateTable
CREATE TABLE "rutter_budget" (
    "organization_id" TEXT NOT NULL,
    "tokens" DOUBLE PRECISION NOT NULL,
    "refilled_at" TIMESTAMPTZ(6) NOT NULL,
    "paused_until" TIMESTAMPTZ(6),

    CONSTRAINT "rutter_budget_pkey" PRIMARY KEY ("organization_id")
);
