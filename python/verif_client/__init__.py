"""verif_client: standard-library adapters that connect RL trainers to
`verif serve`: verl (verl.py), TRL (trl.py), OpenRLHF (openrlhf_reward.py)
and slime (slime.py); NeMo-Gym speaks to the server directly.  See
README.md for the environment variables."""

from .client import AsyncClient, Client, VerifError, config
from .items import label_dict, make_item, text_of
from .verl import compute_score, compute_score_async, compute_score_batch
from .trl import verif_reward, verif_reward_sync
from .openrlhf_reward import reward_func

__all__ = ["Client", "AsyncClient", "VerifError", "config", "label_dict", "make_item",
           "text_of", "compute_score", "compute_score_async", "compute_score_batch",
           "verif_reward", "verif_reward_sync", "reward_func"]
__version__ = "0.1.0"
