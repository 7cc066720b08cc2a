#!/usr/bin/env bash
# run_verif_grpo.sh: VerIF's recipe in OpenRLHF (group_norm = GRPO, 16
# samples per prompt, rollout batch 32, lr 1e-6, KL loss 1e-3 with the k3
# estimator, 4,096-token responses), rewards from `verif serve`.
# --remote_rm_url is the server's /get_reward (OpenRLHF posts query, prompts
# and labels there), or python/verif_client/openrlhf_reward.py for retries
# and the token (VERIF_URL, VERIF_TOKEN, VERIF_RETRIES).  MODEL, DATA,
# VERIF_URL and NGPUS come from the environment; extra arguments go to
# OpenRLHF.
set -euo pipefail
MODEL=${MODEL:-Qwen/Qwen2.5-7B-Instruct}
DATA=${DATA:-data/verinstruct_openrlhf.jsonl}
NGPUS=${NGPUS:-8}
export VERIF_URL=${VERIF_URL:-http://127.0.0.1:8765}
RM=${RM:-$VERIF_URL/get_reward}   # or: $(pwd)/python/verif_client/openrlhf_reward.py

curl -fsS "$VERIF_URL/healthz" >/dev/null || { echo "verif serve is not answering at $VERIF_URL" >&2; exit 1; }

python3 -m openrlhf.cli.train_ppo_ray \
   --ref_num_nodes 1 --ref_num_gpus_per_node "$NGPUS" \
   --actor_num_nodes 1 --actor_num_gpus_per_node "$NGPUS" \
   --vllm_num_engines $((NGPUS / 2)) --vllm_tensor_parallel_size 2 \
   --colocate_all_models --vllm_gpu_memory_utilization 0.6 \
   --pretrain "$MODEL" \
   --remote_rm_url "$RM" \
   --prompt_data "$DATA" --input_key prompt --label_key label --apply_chat_template \
   --advantage_estimator group_norm \
   --n_samples_per_prompt 16 \
   --rollout_batch_size 32 --micro_rollout_batch_size 16 \
   --train_batch_size 512 --micro_train_batch_size 4 \
   --actor_learning_rate 1e-6 \
   --init_kl_coef 1e-3 --use_kl_loss --kl_estimator k3 \
   --prompt_max_len 2048 --generate_max_len 4096 \
   --max_epochs 1 --zero_stage 3 --bf16 --gradient_checkpointing --packing_samples \
   --save_path checkpoints/verif-grpo \
   "$@"
