FROM python:3.11-slim
RUN pip install ansible==9.3.0 ansible-lint
RUN mkdir -p /root/.ssh && echo "StrictHostKeyChecking no" >> /root/.ssh/config
COPY playbooks/ /playbooks/
WORKDIR /playbooks
ENTRYPOINT ["ansible-playbook"]
