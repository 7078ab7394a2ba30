"""The annual bulletin (年度人才资源统计公报) and the assessment report.

``narrative`` writes the sentences, ``tables`` computes figures and tables, ``suppress``
protects small roster cells, ``charts`` draws the figures, ``document`` puts them together into
each report's blocks, ``word`` writes those blocks to .docx, ``annex`` writes the Excel 附表, and
``render`` (imported on its own: it loads papermill and nbconvert) executes the notebooks and
writes HTML, PDF, the Word draft and the annex under reports/YYYY/.
"""

from talentstats.publication.narrative import (
    build_bulletin,
    growth_clause,
    points_clause,
    total_sentence,
)
from talentstats.publication.suppress import SUPPRESSED, suppression_mask
from talentstats.publication.tables import BulletinData

__all__ = [
    "SUPPRESSED",
    "BulletinData",
    "build_bulletin",
    "growth_clause",
    "points_clause",
    "suppression_mask",
    "total_sentence",
]

