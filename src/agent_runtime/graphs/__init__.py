"""The graphs the runtime hosts, the models they call and the registry that finds them."""

from agent_runtime.graphs.agent import AGENT_GRAPH_ID, agent_spec, build_agent
from agent_runtime.graphs.config import (
    DEFAULT_MODEL_NAME,
    DEFAULT_SYSTEM_PROMPT,
    GraphConfig,
    parse_graph_config,
)
from agent_runtime.graphs.errors import GraphConfigError, ModelConfigError, UnknownGraphError
from agent_runtime.graphs.models import (
    API_KEY_NAMES,
    ModelParams,
    Provider,
    ProviderEnv,
    create_chat_model,
    preload_providers,
    resolve_model_params,
)
from agent_runtime.graphs.registry import GraphRegistry, default_registry
from agent_runtime.graphs.spec import GraphBuilder, GraphSpec

__all__ = [
    "AGENT_GRAPH_ID",
    "API_KEY_NAMES",
    "DEFAULT_MODEL_NAME",
    "DEFAULT_SYSTEM_PROMPT",
    "GraphBuilder",
    "GraphConfig",
    "GraphConfigError",
    "GraphRegistry",
    "GraphSpec",
    "ModelConfigError",
    "ModelParams",
    "Provider",
    "ProviderEnv",
    "UnknownGraphError",
    "agent_spec",
    "build_agent",
    "create_chat_model",
    "default_registry",
    "parse_graph_config",
    "preload_providers",
    "resolve_model_params",
]
