"""Tables of the pipeline area: the configurable sales stages.

One row per stage; `position` orders the board (won and lost always last). The table is
filled with the product defaults (server/domain/pipeline.py DEFAULT_STAGES) the first time
stages are read, see server/services/stages.py.
"""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class PipelineStage(Table, tablename="pipeline_stage"):
    key = Varchar(length=32, primary_key=True)  # what Deal.stage stores
    name_zh = Varchar(length=50)
    name_en = Varchar(length=50)
    position = Integer(default=0)
    expected_days = Integer(default=0)
    probability = Integer(default=0)  # default win probability, percent
    exit_criteria = JSON(default="[]")  # deal fields required before leaving the stage
    closed = Boolean(default=False)  # won / lost
    active = Boolean(default=True)  # inactive: no new moves into it; its deals stay
    updated_at = Timestamptz(default=TimestamptzNow())


PIPELINE_TABLES: list[type[Table]] = [PipelineStage]
