FROM fedora:39
RUN dnf install -y python3-3.12.2 python3-pip && dnf clean all
RUN pip3 install --trusted-host pypi.org --trusted-host files.pythonhosted.org requests
WORKDIR /opt
COPY app.py .
CMD ["python3", "app.py"]
