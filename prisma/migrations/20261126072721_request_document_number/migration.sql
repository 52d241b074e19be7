-- AlterTable
ALTER TABLE "invoice_request" ADD COLUMN     "active_document_number" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "invoice_request_organization_id_active_document_number_key" ON "invoice_request"("organization_id", "active_document_number");
