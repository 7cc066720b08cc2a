#!/usr/bin/env bash
# run_verif_grpo.sh: VerIF's recipe in verl (GRPO, 16 rollouts per prompt,
# batch 32, lr 1e-6, KL loss 1e-3 low_var_kl, 4,096-token responses) with
# the reward from `verif serve`.  Start the server first (same or another
# machine), e.g. with VerIF's judge (an OpenAI-compatible endpoint):
#
#   verif serve --host 0.0.0.0 --port 8765 --token "$VERIF_TOKEN" \
#       --judge-url http://JUDGE:8000/v1 --judge-model QwQ-32B --judge-cache judge.sqlite
#
# then convert the data once (examples/verl/convert.py, then parquet) and run
# this script from the verif repository root.  MODEL, TRAIN, VAL, VERIF_URL,
# VERIF_TOKEN and NGPUS come from the environment; extra arguments are
# passed to verl (Hydra overrides).  Newer verl versions spell the reward
# keys reward.custom_reward_function.* and reward.reward_manager.name.
set -euo pipefail
MODEL=${MODEL:-Qwen/Qwen2.5-7B-Instruct}
TRAIN=${TRAIN:-data/verinstruct_train.parquet}
VAL=${VAL:-data/verinstruct_val.parquet}
NGPUS=${NGPUS:-8}
export VERIF_URL=${VERIF_URL:-http://127.0.0.1:8765}
export VERIF_TOKEN=${VERIF_TOKEN:-}
ADAPTER="$(cd "$(dirname "$0")/../.." && pwd)/python/verif_client/verl.py"

curl -fsS "$VERIF_URL/healthz" >/dev/null || { echo "verif serve is not answering at $VERIF_URL" >&2; exit 1; }

python3 -m verl.trainer.main_ppo \
    algorithm.adv_estimator=grpo \
    algorithm.use_kl_in_reward=False \
    data.train_files="$TRAIN" \
    data.val_files="$VAL" \
    data.train_batch_size=32 \
    data.max_prompt_length=2048 \
    data.max_response_length=4096 \
    data.filter_overlong_prompts=True \
    data.truncation=error \
    actor_rollout_ref.model.path="$MODEL" \
    actor_rollout_ref.model.use_remove_padding=True \
    actor_rollout_ref.model.enable_gradient_checkpointing=True \
    actor_rollout_ref.actor.optim.lr=1e-6 \
    actor_rollout_ref.actor.ppo_mini_batch_size=32 \
    actor_rollout_ref.actor.ppo_micro_batch_size_per_gpu=4 \
    actor_rollout_ref.actor.use_kl_loss=True \
    actor_rollout_ref.actor.kl_loss_coef=0.001 \
    actor_rollout_ref.actor.kl_loss_type=low_var_kl \
    actor_rollout_ref.actor.entropy_coeff=0 \
    actor_rollout_ref.rollout.name=vllm \
    actor_rollout_ref.rollout.n=16 \
    actor_rollout_ref.rollout.tensor_model_parallel_size=2 \
    actor_rollout_ref.rollout.gpu_memory_utilization=0.6 \
    actor_rollout_ref.rollout.log_prob_micro_batch_size_per_gpu=8 \
    actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu=8 \
    reward_model.reward_manager=batch \
    custom_reward_function.path="$ADAPTER" \
    custom_reward_function.name=compute_score_batch \
    trainer.critic_warmup=0 \
    trainer.logger='["console"]' \
    trainer.project_name=verif \
    trainer.experiment_name=verif-grpo \
    trainer.n_gpus_per_node="$NGPUS" \
    trainer.nnodes=1 \
    trainer.save_freq=50 \
    trainer.test_freq=25 \
    trainer.total_epochs=1 \
    "$@"
