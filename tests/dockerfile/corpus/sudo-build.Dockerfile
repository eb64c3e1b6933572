FROM ubuntu:22.04
RUN apt-get update && apt-get install -y sudo=1.9.9-1ubuntu2.4
RUN useradd -m builder && adduser builder sudo
USER builder
RUN sudo apt-get install -y make
CMD ["bash"]
