# syntax=docker/dockerfile:1.4
FROM python:3.12-slim
RUN python3 <<EOF
import json
print(json.dumps({"curl -k": "not a shell"}))
EOF
RUN useradd -r app
USER app
CMD ["python3", "-m", "http.server"]
