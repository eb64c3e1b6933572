FROM ubuntu:22.04
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get dist-upgrade -y && apt-get install -y \
    sudo openssh-server vim git curl build-essential python3-pip
RUN useradd -m -s /bin/bash dev && echo 'dev ALL=(ALL) NOPASSWD:ALL' >> /etc/sudoers
RUN echo 'dev:dev' | chpasswd
RUN mkdir /var/run/sshd && sed -i 's/#PermitRootLogin.*/PermitRootLogin yes/' /etc/ssh/sshd_config
EXPOSE 22
USER dev
WORKDIR /home/dev
CMD ["/usr/sbin/sshd", "-D"]
