FROM jupyter/scipy-notebook:latest
USER root
RUN apt-get update && apt-get install -y graphviz
RUN pip install seaborn xgboost==2.0.3 'scikit-learn>=1.3'
ENV JUPYTER_TOKEN=letmein123
USER jovyan
EXPOSE 8888
