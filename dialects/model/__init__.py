"""The `model` dialect: what the programmer wrote, one level above tensor ops.

Split by family: `types` (host value types), `structure` (model definitions, parameters,
instances), `layers` (built-in layers), `functions` (tensor functions and operators),
`indexing` (indexing and reshaping functions), `host` (the host program's statements).
"""

from xdsl.ir import Dialect

from mlang.dialects.model.attention import ATTENTION_FUNCTION_OPS
from mlang.dialects.model.functions import FUNCTION_OPS
from mlang.dialects.model.generation import GENERATION_OPS
from mlang.dialects.model.host import HOST_OPS
from mlang.dialects.model.indexing import INDEXING_OPS
from mlang.dialects.model.layers import LAYER_OPS
from mlang.dialects.model.structure import (
    CallOp, DefOp, GetParamOp, InstantiateOp, ParamOp, TieOp,
)
from mlang.dialects.model.data import DATA_OPS
from mlang.dialects.model.types import (
    ColumnType, DatasetType, ListType, ModelType, RecordType, StrType, TokenizerType,
)

Model = Dialect(
    "model",
    [DefOp, ParamOp, TieOp, GetParamOp, InstantiateOp, CallOp, *LAYER_OPS, *FUNCTION_OPS,
     *ATTENTION_FUNCTION_OPS, *INDEXING_OPS, *HOST_OPS, *DATA_OPS, *GENERATION_OPS],
    [ModelType, DatasetType, StrType, ListType, TokenizerType, RecordType, ColumnType],
)
