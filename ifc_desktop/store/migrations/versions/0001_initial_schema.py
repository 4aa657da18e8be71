"""Initial schema: models, versions, elements, shared property sets, history, sources, jobs.

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("project_global_id", sa.String(length=22), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("current_version_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["current_version_id"],
            ["versions.id"],
            name=op.f("fk_models_current_version_id_versions"),
            ondelete="SET NULL",
            use_alter=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_models")),
        sa.UniqueConstraint("name", name=op.f("uq_models_name")),
    )
    op.create_table(
        "property_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.LargeBinary(length=16), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("properties", sa.JSON(none_as_null=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_property_sets")),
        sa.UniqueConstraint("hash", name=op.f("uq_property_sets_hash")),
    )
    op.create_table(
        "source_files",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("compressed_size", sa.Integer(), nullable=False),
        sa.Column("blob_path", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_source_files")),
    )
    op.create_table(
        "versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("source_name", sa.String(), nullable=False),
        sa.Column("source_path", sa.String(), nullable=False),
        sa.Column("source_sha256", sa.String(length=64), nullable=False),
        sa.Column("source_size", sa.Integer(), nullable=False),
        sa.Column("blob_key", sa.String(), nullable=False),
        sa.Column("schema_declared", sa.String(), nullable=False),
        sa.Column("schema_read", sa.String(), nullable=False),
        sa.Column("application", sa.String(), nullable=True),
        sa.Column("application_source", sa.String(), nullable=True),
        sa.Column("header_timestamp", sa.String(), nullable=True),
        sa.Column("header_file_name", sa.String(), nullable=True),
        sa.Column("header_description", sa.String(), nullable=True),
        sa.Column("header_author", sa.String(), nullable=True),
        sa.Column("header_organization", sa.String(), nullable=True),
        sa.Column("project_name", sa.String(), nullable=True),
        sa.Column("project_global_id", sa.String(length=22), nullable=True),
        sa.Column("length_unit", sa.String(), nullable=False),
        sa.Column("length_scale", sa.Float(), nullable=False),
        sa.Column("units", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("element_count", sa.Integer(), nullable=False),
        sa.Column("counts_by_class", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("counts_by_storey", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("warnings", sa.JSON(none_as_null=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"], ["models.id"], name=op.f("fk_versions_model_id_models"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["source_sha256"], ["source_files.sha256"], name=op.f("fk_versions_source_sha256_source_files")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_versions")),
        sa.UniqueConstraint("job_id", name=op.f("uq_versions_job_id")),
        sa.UniqueConstraint("model_id", "number", name=op.f("uq_versions_model_id_number")),
        sa.UniqueConstraint("model_id", "source_sha256", name=op.f("uq_versions_model_id_source_sha256")),
    )
    op.create_table(
        "elements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("global_id", sa.String(), nullable=False),
        sa.Column("ifc_class", sa.String(), nullable=False),
        sa.Column("step_id", sa.Integer(), nullable=False),
        sa.Column("predefined_type", sa.String(), nullable=True),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("description", sa.String(), nullable=True),
        sa.Column("object_type", sa.String(), nullable=True),
        sa.Column("tag", sa.String(), nullable=True),
        sa.Column("long_name", sa.String(), nullable=True),
        sa.Column("type_global_id", sa.String(), nullable=True),
        sa.Column("type_class", sa.String(), nullable=True),
        sa.Column("type_name", sa.String(), nullable=True),
        sa.Column("parent_global_id", sa.String(), nullable=True),
        sa.Column("container_global_id", sa.String(), nullable=True),
        sa.Column("storey_global_id", sa.String(), nullable=True),
        sa.Column("materials", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("classifications", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("psets", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("placement", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("content_hash", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"], ["versions.id"], name=op.f("fk_elements_version_id_versions"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_elements")),
    )
    op.create_index(op.f("ix_elements_version_id"), "elements", ["version_id"], unique=False)
    op.create_index(
        op.f("ix_elements_version_id_container_global_id"),
        "elements",
        ["version_id", "container_global_id"],
        unique=False,
    )
    op.create_index(op.f("ix_elements_version_id_global_id"), "elements", ["version_id", "global_id"], unique=False)
    op.create_index(op.f("ix_elements_version_id_ifc_class"), "elements", ["version_id", "ifc_class"], unique=False)

    op.create_table(
        "history_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("detail", sa.JSON(none_as_null=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"], ["models.id"], name=op.f("fk_history_events_model_id_models"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["versions.id"],
            name=op.f("fk_history_events_version_id_versions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history_events")),
    )
    op.create_index(op.f("ix_history_events_model_id_id"), "history_events", ["model_id", "id"], unique=False)

    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "PENDING",
                "STARTED",
                "PROGRESS",
                "SUCCESS",
                "FAILURE",
                "RETRY",
                "CANCELLED",
                name="job_state",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("stage_index", sa.Integer(), nullable=False),
        sa.Column("stage_count", sa.Integer(), nullable=False),
        sa.Column("stage_name", sa.String(), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("stage_durations", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("error_details", sa.Text(), nullable=True),
        sa.Column("error_permanent", sa.Boolean(), nullable=False),
        sa.Column("new_model", sa.Boolean(), nullable=False),
        sa.Column("time_limit", sa.Float(), nullable=True),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("worker_pid", sa.Integer(), nullable=True),
        sa.Column("model_id", sa.Integer(), nullable=True),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["models.id"], name=op.f("fk_jobs_model_id_models"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["version_id"], ["versions.id"], name=op.f("fk_jobs_version_id_versions"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(op.f("ix_jobs_state"), "jobs", ["state"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_jobs_state"), table_name="jobs")

    op.drop_table("jobs")
    op.drop_index(op.f("ix_history_events_model_id_id"), table_name="history_events")

    op.drop_table("history_events")
    op.drop_index(op.f("ix_elements_version_id_ifc_class"), table_name="elements")
    op.drop_index(op.f("ix_elements_version_id_global_id"), table_name="elements")
    op.drop_index(op.f("ix_elements_version_id_container_global_id"), table_name="elements")
    op.drop_index(op.f("ix_elements_version_id"), table_name="elements")

    op.drop_table("elements")
    op.drop_table("versions")
    op.drop_table("source_files")
    op.drop_table("property_sets")
    op.drop_table("models")
