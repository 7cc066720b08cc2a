# verif_args.sh: the reward arguments that put `verif serve` behind slime,
# to source into a slime launch script and splice into its command:
#
#   source examples/slime/verif_args.sh
#   python3 train.py "${MODEL_ARGS[@]}" ... "${VERIF_DATA_ARGS[@]}" "${VERIF_RM_ARGS[@]}"
#
# Targets: slime 624b824.  tests/contracts/recipes.py checks every flag in
# the arrays against slime/utils/arguments.py at that commit.
#
# The data: JSONL rows with "prompt" (a string or a chat) and "label" (the
# constraints: a VerInstruct {"checkers", "functions"} or IFEval
# {"instruction_id_list", "kwargs"} object, or a JSON string holding one),
# as examples/openrlhf/convert.py writes them.
#
# Two ways to score.  VERIF_RM=remote (default): slime's own remote_rm posts
# {"prompt", "response", "label"} to the server's /reward, which answers
# {"reward", "hard", "soft", "checks"[, "error"]}: --reward-key reward picks
# the number.  VERIF_RM=custom: the adapter verif_client.slime.reward_func
# (PYTHONPATH=python) adds retries, failover over several servers
# (VERIF_URL=http://a:8765,http://b:8765), labels from --metadata-key
# columns and --group-rm.  The server's default --request-timeout (100 s)
# is below slime's 120 s client timeout, so slime gets an answer rather
# than re-posting the same request.
VERIF_URL=${VERIF_URL:-http://127.0.0.1:8765}
VERIF_DATA_ARGS=(
   --input-key prompt
   --label-key label
   --metadata-key metadata
   --apply-chat-template
)
if [ "${VERIF_RM:-remote}" = custom ]; then
   export VERIF_URL
   export PYTHONPATH="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/python${PYTHONPATH:+:$PYTHONPATH}"
   VERIF_RM_ARGS=(
      --custom-rm-path verif_client.slime.reward_func
      ${VERIF_GROUP_RM:+--group-rm}
   )
else
   VERIF_RM_ARGS=(
      --rm-type remote_rm
      --rm-url "${VERIF_URL%%,*}/reward"
      --reward-key reward
   )
fi
