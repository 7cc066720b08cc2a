#!/usr/bin/env bash
# run_verif_grpo.sh: VerIF's recipe in verl (GRPO, 16 rollouts per prompt,
# batch 32, lr 1e-6, KL loss 1e-3 low_var_kl, 4,096-token responses) with
# the reward from `verif serve`, through verl's reward loop.
#
# Targets: verl 1dda039 (its reward loop: reward.* keys, reward managers
# naive/dapo/gdpo/rate_limited/remote).  For verl 0.7 and older, whose
# reward_model.* and custom_reward_function.* keys current verl ignores,
# use legacy/run_verif_grpo_batch.sh.  tests/contracts/recipes.py checks
# every key below against verl 1dda039's own config.
#
# Start the server first, one per node (same or another machine), e.g. with
# VerIF's judge (an OpenAI-compatible endpoint):
#
#   verif serve --host 0.0.0.0 --port 8765 --token "$VERIF_TOKEN" \
#       --judge-url http://JUDGE:8000/v1 --judge-model QwQ-32B --judge-cache judge.sqlite
#
# then convert the data once (examples/verl/convert.py: VerInstruct JSONL or
# VerIF's own parquet -> parquet with the instruction in extra_info) and run
# this script from the verif repository root.  MODEL, TRAIN, VAL,
# VERIF_URL (several servers: comma-separated), VERIF_TOKEN and NGPUS come
# from the environment; extra arguments are passed to verl (Hydra
# overrides), e.g. +reward.custom_reward_function.reward_kwargs.return_dict=True
# to log the hard and soft parts per sample.
set -euo pipefail
MODEL=${MODEL:-Qwen/Qwen2.5-7B-Instruct}
TRAIN=${TRAIN:-data/verinstruct_train.parquet}
VAL=${VAL:-data/verinstruct_val.parquet}
NGPUS=${NGPUS:-8}
export VERIF_URL=${VERIF_URL:-http://127.0.0.1:8765}
export VERIF_TOKEN=${VERIF_TOKEN:-}
ADAPTER="$(cd "$(dirname "$0")/../.." && pwd)/python/verif_client/verl.py"

for u in ${VERIF_URL//,/ }; do
  curl -fsS "$u/healthz" >/dev/null || { echo "verif serve is not answering at $u" >&2; exit 1; }
done

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
    reward.num_workers=8 \
    reward.reward_manager.name=naive \
    reward.custom_reward_function.path="$ADAPTER" \
    reward.custom_reward_function.name=compute_score_async \
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
