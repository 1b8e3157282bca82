"""Outreach coverage: households from the leaders' rosters (codes, encrypted names, the dates
they came and left, a registration code), what leaders enter, reach per household per day and
per report period, activities, frozen snapshots and deadline reminders

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 12:42:46.731533
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('coverage_reminders',
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_coverage_reminders_area_id_areas')),
    sa.PrimaryKeyConstraint('area_id', 'period', name=op.f('pk_coverage_reminders'))
    )
    op.create_table('coverage_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('taken_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('figures', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_coverage_snapshots_area_id_areas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coverage_snapshots')),
    sa.UniqueConstraint('area_id', 'period', name=op.f('uq_coverage_snapshots_area_id'))
    )
    with op.batch_alter_table('coverage_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coverage_snapshots_area_id'), ['area_id'], unique=False)

    op.create_table('household_reach',
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_household_reach_household_id_households'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('household_id', 'on', 'source', name=op.f('pk_household_reach'))
    )
    op.create_table('period_reach',
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_period_reach_area_id_areas')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_period_reach_household_id_households'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('household_id', 'period', name=op.f('pk_period_reach'))
    )
    with op.batch_alter_table('period_reach', schema=None) as batch_op:
        batch_op.create_index('ix_period_reach_period_area', ['period', 'area_id'], unique=False)

    op.create_table('group_tallies',
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=16), nullable=False),
    sa.Column('households', sa.Integer(), nullable=True),
    sa.Column('linked', sa.Integer(), nullable=False),
    sa.Column('reached', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_group_tallies_area_id_areas')),
    sa.PrimaryKeyConstraint('area_id', 'period', name=op.f('pk_group_tallies'))
    )
    with op.batch_alter_table('group_tallies', schema=None) as batch_op:
        batch_op.create_index('ix_group_tallies_period_area', ['period', 'area_id'], unique=False)

    op.create_table('activities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('author_person_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('on', sa.Date(), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('counted', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_activities_area_id_areas')),
    sa.ForeignKeyConstraint(['author_person_id'], ['persons.id'], name=op.f('fk_activities_author_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activities'))
    )
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_area_on', ['area_id', 'on'], unique=False)

    op.create_table('group_figures',
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=True),
    sa.Column('households_set_by', sa.Integer(), nullable=True),
    sa.Column('households_set_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('connected', sa.Integer(), nullable=True),
    sa.Column('connected_set_by', sa.Integer(), nullable=True),
    sa.Column('connected_set_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_group_figures_area_id_areas')),
    sa.ForeignKeyConstraint(['connected_set_by'], ['persons.id'], name=op.f('fk_group_figures_connected_set_by_persons')),
    sa.ForeignKeyConstraint(['households_set_by'], ['persons.id'], name=op.f('fk_group_figures_households_set_by_persons')),
    sa.PrimaryKeyConstraint('area_id', name=op.f('pk_group_figures'))
    )
    op.create_table('activity_households',
    sa.Column('activity_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_activity_households_activity_id_activities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_activity_households_household_id_households'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('activity_id', 'household_id', name=op.f('pk_activity_households'))
    )
    with op.batch_alter_table('activity_households', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_households_household_id'), ['household_id'], unique=False)

    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('head_enc', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('address_enc', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('phone_enc', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('members', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reg_code', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('linked', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('added_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('left_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_households_area_span', ['area_id', 'added_on', 'left_on', 'linked'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_households_area_id'), ['area_id', 'code'])
        batch_op.create_unique_constraint(batch_op.f('uq_households_reg_code'), ['reg_code'])

    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_persons_household_id'), ['household_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_persons_household_id'))

    with op.batch_alter_table('households', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_households_reg_code'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_households_area_id'), type_='unique')
        batch_op.drop_index('ix_households_area_span')
        batch_op.drop_column('updated_at')
        batch_op.drop_column('left_on')
        batch_op.drop_column('added_on')
        batch_op.drop_column('linked')
        batch_op.drop_column('reg_code')
        batch_op.drop_column('members')
        batch_op.drop_column('phone_enc')
        batch_op.drop_column('address_enc')
        batch_op.drop_column('head_enc')
        batch_op.drop_column('code')

    with op.batch_alter_table('activity_households', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_households_household_id'))

    op.drop_table('activity_households')
    op.drop_table('group_figures')
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_area_on')

    op.drop_table('activities')
    with op.batch_alter_table('group_tallies', schema=None) as batch_op:
        batch_op.drop_index('ix_group_tallies_period_area')

    op.drop_table('group_tallies')
    with op.batch_alter_table('period_reach', schema=None) as batch_op:
        batch_op.drop_index('ix_period_reach_period_area')

    op.drop_table('period_reach')
    op.drop_table('household_reach')
    with op.batch_alter_table('coverage_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_coverage_snapshots_area_id'))

    op.drop_table('coverage_snapshots')
    op.drop_table('coverage_reminders')
