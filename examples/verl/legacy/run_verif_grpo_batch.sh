#!/usr/bin/env bash
# run_verif_grpo_batch.sh: LEGACY.  VerIF's recipe for verl 0.7 and older,
# through the batch reward manager (one HTTP request per batch) instead of
# the reward loop.
#
# Targets: verl v0.7.0 (reward_model.use_reward_loop=False switches its
# reward loop off; reward_model.reward_manager and custom_reward_function.*
# are read only then).  Current verl (1dda039 on) has no such keys: Hydra
# accepts them, verl ignores them and falls back to its default scorer,
# which raises NotImplementedError for data_source="verinstruct".  Use
# ../run_verif_grpo.sh there.  tests/contracts/recipes.py checks every key
# below against verl v0.7.0's own config.
#
# Same environment as ../run_verif_grpo.sh (MODEL, TRAIN, VAL, VERIF_URL,
# VERIF_TOKEN, NGPUS); data from ../convert.py.
set -euo pipefail
MODEL=${MODEL:-Qwen/Qwen2.5-7B-Instruct}
TRAIN=${TRAIN:-data/verinstruct_train.parquet}
VAL=${VAL:-data/verinstruct_val.parquet}
NGPUS=${NGPUS:-8}
export VERIF_URL=${VERIF_URL:-http://127.0.0.1:8765}
export VERIF_TOKEN=${VERIF_TOKEN:-}
ADAPTER="$(cd "$(dirname "$0")/../../.." && pwd)/python/verif_client/verl.py"

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
    reward_model.use_reward_loop=False \
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
